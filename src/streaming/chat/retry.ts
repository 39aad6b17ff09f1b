/**
 * Retrying a model stream that failed to start.
 *
 * Before the first token, a connection failure is usually a server still starting (LM Studio loading, a
 * laptop waking, `ollama serve` just launched), so it is worth a few quick retries. After the first token
 * nothing is retried: the user has already seen part of an answer, and a second request would produce a
 * different one. So the rule is decided by the FIRST event alone: an `unreachable` or `dropped` error there
 * (nothing was shown yet) restarts the stream; any other first event, and everything after it, passes
 * through unchanged.
 */
import type { ProviderError, StreamEvent } from '../providers/events';
import type { MonotonicClock } from '../../shared/clock';
import { delay } from '../../shared/abort';

export interface RetryOptions {
  /** Total attempts, the first included; at least 1. */
  attempts: number;
  /** The cap on the first wait; each later cap doubles, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
  clock: MonotonicClock;
  /** In [0, 1), like Math.random; injected so tests can pin the jitter. */
  random: () => number;
  /** Stop: ends a wait at once, and no further attempt starts. */
  signal: AbortSignal;
  /** Called before each wait; `attempt` is the attempt that just failed (1-based). */
  onRetry?(attempt: number, delayMs: number, error: ProviderError): void;
}

/** Sensible values for a local server: the last error shows after about 1.5 s on average, 3 s at worst. */
export const retryDefaults = { attempts: 3, baseMs: 1000, maxMs: 4000 } as const;

/** Only failures that happen before anything was shown, and that a moment's wait can cure. */
function retryable(event: StreamEvent): event is { type: 'error'; error: ProviderError } {
  return event.type === 'error' && (event.error.kind === 'unreachable' || event.error.kind === 'dropped');
}

/**
 * "Full jitter" backoff: a uniform wait between 0 and the attempt's cap. Spreading the whole range (rather
 * than cap ± a little) keeps several windows that lost the same server from reconnecting in lockstep.
 */
export function backoffMs(attempt: number, opts: Pick<RetryOptions, 'baseMs' | 'maxMs' | 'random'>): number {
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  const r = Math.min(Math.max(opts.random(), 0), 1);
  return Math.round(r * cap);
}

export async function* withRetry(start: () => AsyncIterable<StreamEvent>, opts: RetryOptions): AsyncGenerator<StreamEvent> {
  const attempts = Math.max(1, Math.floor(opts.attempts));
  for (let attempt = 1; ; attempt++) {
    if (opts.signal.aborted) {
      yield { type: 'done', reason: 'aborted' };
      return;
    }
    const stream = start()[Symbol.asyncIterator]();
    const first = await stream.next();
    if (first.done) return;
    if (attempt < attempts && retryable(first.value)) {
      await stream.return?.();
      const waitMs = backoffMs(attempt, opts);
      opts.onRetry?.(attempt, waitMs, first.value.error);
      if (!(await delay(waitMs, opts.signal, opts.clock))) {
        yield { type: 'done', reason: 'aborted' };
        return;
      }
      continue;
    }
    yield* passThrough(first.value, stream);
    return;
  }
}

/** Yields `first` and the rest of `stream`, closing `stream` if our consumer stops early. */
async function* passThrough(first: StreamEvent, stream: AsyncIterator<StreamEvent>): AsyncGenerator<StreamEvent> {
  let finished = false;
  try {
    yield first;
    for (let next = await stream.next(); !next.done; next = await stream.next()) yield next.value;
    finished = true;
  } finally {
    if (!finished) await stream.return?.();
  }
}
