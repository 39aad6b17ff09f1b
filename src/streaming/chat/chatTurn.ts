import type { ProviderError, ToolCall, UsageStats } from '../providers/events';
import type { AnswerSource } from '../../shared/protocol';
import type { ChatProvider, ChatRequest } from '../providers/provider';
import { retryDefaults, withRetry } from './retry';
import { monotonicClock, type MonotonicClock } from '../../shared/clock';

export interface TurnCallbacks {
  onText(text: string): void;
  onThinking?(text: string): void;
  onToolCall?(call: ToolCall): void;
  /** The pages the answer cites (each call replaces the list). */
  onSources?(sources: AnswerSource[]): void;
  /** A connection failure before the first token, about to be retried. */
  onRetry?(attempt: number, delayMs: number, error: ProviderError): void;
}

export type TurnOutcome =
  /** `cut`: the server stopped at its token limit, so the answer is not complete. */
  | { state: 'done'; usage?: UsageStats; cut?: 'length' }
  | { state: 'stopped'; usage?: UsageStats }
  | { state: 'error'; error: ProviderError; usage?: UsageStats };

/**
 * Runs one model response to its end. Abort is decided by the signal, not by what the provider said,
 * because some SDKs end quietly on abort and a late `done` must not turn a Stop into "done".
 */
export async function runTurn(
  provider: ChatProvider,
  request: ChatRequest,
  signal: AbortSignal,
  cb: TurnCallbacks,
  clock: MonotonicClock = monotonicClock,
): Promise<TurnOutcome> {
  let usage: UsageStats | undefined;
  // Only failures before the first event are retried: after it, a partial answer is on screen.
  const events = withRetry(() => provider.chat(request, signal), {
    ...retryDefaults,
    clock,
    random: Math.random,
    signal,
    onRetry: cb.onRetry,
  });
  for await (const event of events) {
    switch (event.type) {
      case 'text':
        cb.onText(event.text);
        break;
      case 'thinking':
        cb.onThinking?.(event.text);
        break;
      case 'usage':
        usage = event.usage;
        break;
      case 'toolCall':
        cb.onToolCall?.(event.call);
        break;
      case 'sources':
        cb.onSources?.(event.sources);
        break;
      case 'error':
        if (signal.aborted) return { state: 'stopped', usage };
        return { state: 'error', error: event.error, usage };
      case 'done':
        if (signal.aborted || event.reason === 'aborted') return { state: 'stopped', usage };
        return { state: 'done', usage, ...(event.reason === 'length' ? { cut: 'length' as const } : {}) };
    }
  }
  return signal.aborted
    ? { state: 'stopped', usage }
    : { state: 'error', error: { kind: 'dropped', message: `The answer from ${provider.url} ended without a proper end.` }, usage };
}
