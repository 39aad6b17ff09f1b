/**
 * The num_ctx to send Ollama for one request. Ollama loads a model with the num_ctx of the request that
 * loads it and reloads it whenever another value comes (losing its prompt cache and a few seconds), and it
 * silently drops the start of a prompt that does not fit. So: the loaded context while the prompt fits it,
 * else the smallest power of two that fits, never above the model's maximum or the user's setting.
 */

/** Room left for the answer beyond the prompt. */
const ANSWER_ROOM = 1024;
/** Below this a reload for a bigger context would come after a few turns anyway. */
const SMALLEST = 4096;

export interface NumCtxInputs {
  /** The prompt's estimated tokens; without it the user's setting is sent, as before. */
  estimate?: number;
  /** modelChat.ollama.numCtx: the most the user lets a conversation take (memory grows with it). */
  setting: number;
  /** The model's maximum (/api/show). */
  max?: number;
  /** What the running copy was loaded with (/api/ps). */
  loaded?: number;
}

export function chooseNumCtx({ estimate, setting, max, loaded }: NumCtxInputs): number {
  const cap = Math.max(512, Math.min(setting, max ?? Infinity));
  if (estimate === undefined) return cap;
  const need = estimate + Math.max(ANSWER_ROOM, Math.ceil(estimate / 4));
  if (loaded && loaded >= need && loaded <= cap) return loaded;
  let size = SMALLEST;
  while (size < need) size *= 2;
  return Math.min(size, cap);
}
