/**
 * The context a server really runs a model with, read from each server's own API. Every read is bounded in
 * size and time (boundedFetch) and follows the caller's signal; a server that does not have the endpoint,
 * or answers something else, simply yields nothing.
 */
import { boundedFetch } from '../wire/boundedFetch';
import type { ContextWindow } from './provider';

/** Context figures are a few hundred bytes; a model list can be long (OpenRouter's is ~1 MB). */
const PROBE_LIMITS = { maxBytes: 4 * 1024 * 1024, timeoutMs: 5_000 };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positive = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined);

/**
 * GET `url` (or POST `body`) as JSON, or undefined on any failure (refused, 404, not JSON, too large, too
 * slow, aborted).
 */
export async function readJson(url: string, signal?: AbortSignal, headers?: Record<string, string>, body?: unknown): Promise<unknown> {
  try {
    const init: RequestInit =
      body === undefined
        ? { signal, headers }
        : { method: 'POST', signal, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const response = await boundedFetch(fetch, PROBE_LIMITS, () => true)(url, init);
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    return await response.json();
  } catch {
    return undefined;
  }
}

/** Ollama /api/show: `model_info["<general.architecture>.context_length"]`, the model's maximum. */
export function ollamaMaxContext(show: unknown): number | undefined {
  const info = isRecord(show) && isRecord(show.model_info) ? show.model_info : undefined;
  if (!info) return undefined;
  const arch = info['general.architecture'];
  if (typeof arch === 'string' && positive(info[`${arch}.context_length`])) return positive(info[`${arch}.context_length`]);
  // An architecture name the model's metadata spells differently: any one context_length key will do.
  const key = Object.keys(info).find((k) => k.endsWith('.context_length'));
  return key ? positive(info[key]) : undefined;
}

/** Ollama /api/ps: the context the running copy of `model` was loaded with. */
export function ollamaLoadedContext(ps: unknown, model: string): number | undefined {
  const models = isRecord(ps) && Array.isArray(ps.models) ? ps.models : [];
  const named = (m: unknown) => isRecord(m) && (m.name === model || m.model === model || m.name === `${model}:latest`);
  const entry = models.find(named);
  return isRecord(entry) ? positive(entry.context_length) : undefined;
}

/** llama.cpp /props: `default_generation_settings.n_ctx` (per slot) or a top-level `n_ctx`, by version. */
export function llamaCppContext(props: unknown): number | undefined {
  if (!isRecord(props)) return undefined;
  const settings = isRecord(props.default_generation_settings) ? props.default_generation_settings : undefined;
  return positive(settings?.n_ctx) ?? positive(props.n_ctx);
}

/**
 * An OpenAI-style model list (`{ data: [...] }`): vLLM's `max_model_len`, LM Studio's `loaded_context_length` /
 * `max_context_length` (its /api/v0/models), OpenRouter's `context_length`.
 */
export function listedContext(list: unknown, model: string): Omit<ContextWindow, 'source'> | undefined {
  const data = isRecord(list) && Array.isArray(list.data) ? list.data : [];
  const entry = data.find((m) => isRecord(m) && m.id === model) ?? (data.length === 1 ? data[0] : undefined);
  if (!isRecord(entry)) return undefined;
  const loaded = positive(entry.loaded_context_length) ?? positive(entry.max_model_len);
  const max = positive(entry.max_context_length) ?? positive(entry.context_length) ?? positive(entry.max_model_len);
  return loaded || max ? { ...(loaded ? { loaded } : {}), ...(max ? { max } : {}) } : undefined;
}

/**
 * What an OpenAI-compatible server says, asking the endpoints the known servers have in parallel: llama.cpp's
 * /props (at the server's root, beside /v1), LM Studio's /api/v0/models, the /v1/models list (vLLM, OpenRouter).
 */
export async function openaiCompatibleContext(
  baseUrl: string,
  model: string,
  signal?: AbortSignal,
  headers?: Record<string, string>,
): Promise<ContextWindow | undefined> {
  const base = baseUrl.replace(/\/+$/, '');
  const root = base.replace(/\/v1$/, '');
  const [props, lmStudio, models] = await Promise.all([
    readJson(`${root}/props`, signal, headers),
    readJson(`${root}/api/v0/models`, signal, headers),
    readJson(`${base}/models`, signal, headers),
  ]);
  const nCtx = llamaCppContext(props);
  if (nCtx) return { loaded: nCtx, source: 'llama.cpp /props n_ctx' };
  const studio = listedContext(lmStudio, model);
  if (studio) return { ...studio, source: 'LM Studio /api/v0/models' };
  const listed = listedContext(models, model);
  return listed ? { ...listed, source: '/v1/models' } : undefined;
}

/** llama.cpp's POST /tokenize: the model's own token count for `text`. */
export async function llamaCppTokenCount(baseUrl: string, text: string, signal?: AbortSignal, headers?: Record<string, string>) {
  const root = baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const answer = await readJson(`${root}/tokenize`, signal, headers, { content: text });
  return isRecord(answer) && Array.isArray(answer.tokens) ? answer.tokens.length : undefined;
}
