/** The context side of a turn: the real window, a calibrated estimate, and the note when the prompt was cut. */
import type { AnswerNote, ErrorAction } from '../../shared/protocol';
import type { Logger } from '../../shared/log';
import { race } from '../../shared/abort';
import type { ChatMessage, ChatProvider, ContextWindow, EndpointConfig } from '../providers/provider';
import { contextLimit, isCalibrated, learn, modelKey, type Truncation } from './contextBudget';

/** The tokenizer is asked about this much of a conversation at most: enough to learn its ratio. */
const TOKENIZE_SAMPLE_CHARS = 32_000;

export interface TurnContext {
  /** Calibration key: endpoint and model. */
  key: string;
  window: ContextWindow | undefined;
  /** The most the conversation may fill, when known. */
  limit: number | undefined;
}

/**
 * Asks the server what it runs the model with and, the first time for a model with a tokenizer endpoint,
 * for its own count of the conversation. Neither may fail the turn: a server without them gives nothing.
 */
export async function readTurnContext(
  provider: ChatProvider,
  endpoint: EndpointConfig,
  model: string,
  setting: number | undefined,
  messages: ChatMessage[],
  signal: AbortSignal,
  log: Logger,
): Promise<TurnContext> {
  const key = modelKey(endpoint.url, model);
  const window = await windowOf(provider, key, model, signal);
  if (window) log.info(`Context of ${model}: ${window.loaded ?? '?'} loaded, ${window.max ?? '?'} max (${window.source})`);
  if (provider.countTokens && !isCalibrated(key)) {
    const sample = messages
      .map((m) => m.content)
      .join('\n')
      .slice(0, TOKENIZE_SAMPLE_CHARS);
    const count = sample ? await race(provider.countTokens(sample, signal), signal).catch(() => undefined) : undefined;
    if (count) learn(key, sample.length, count);
  }
  return { key, window, limit: contextLimit(window, setting) };
}

/**
 * A server's answer is kept a little while: asking before every turn would put up to three requests (each
 * with its own timeout) before the first token on servers that lack some of the endpoints.
 */
const WINDOW_TTL_MS = 30_000;
const windows = new Map<string, { window: ContextWindow | undefined; at: number }>();

async function windowOf(provider: ChatProvider, key: string, model: string, signal: AbortSignal): Promise<ContextWindow | undefined> {
  if (!provider.contextWindow) return undefined;
  const known = windows.get(key);
  if (known && Date.now() - known.at < WINDOW_TTL_MS) return known.window;
  const window = await race(provider.contextWindow(model, signal), signal).catch(() => undefined);
  if (!signal.aborted) windows.set(key, { window, at: Date.now() });
  return window;
}

/** The note under an answer whose prompt the server cut, with what fixes it on this kind of server. */
export function truncationNote(cut: Truncation, endpoint: EndpointConfig): AnswerNote {
  const actions: ErrorAction[] = [];
  // Only Ollama takes the context size from the request; elsewhere it is fixed when the server starts.
  if (endpoint.type === 'ollama') actions.push({ kind: 'openSettings', label: 'Raise the context', setting: 'modelChat.ollama.numCtx' });
  actions.push({ kind: 'compact', label: 'Compact conversation' });
  return { kind: 'truncated', seen: cut.seen, sent: cut.sent, actions };
}
