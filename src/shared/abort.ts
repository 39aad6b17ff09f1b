/**
 * The one cancellation toolkit: everything below a turn is cancelled through an AbortSignal, and these
 * are the only ways the code turns a signal into a promise. Each removes its listener when it settles,
 * so a long-lived signal (a turn with many tool calls) does not collect listeners.
 */

/** The error a `race` rejects with when the signal aborts first: the signal's own reason when it is an Error. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  err.name = 'AbortError';
  return err;
}

/** `promise`, or a rejection the moment `signal` aborts (the promise itself goes on; its result is ignored). */
export function race<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {}); // its late failure is nobody's concern now
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface TimerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: TimerClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Resolves true after `ms`, or false the moment `signal` aborts (the timer is cleared then). */
export function delay(ms: number, signal?: AbortSignal, clock: TimerClock = realTimers): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A signal of its own that also aborts when `parent` does and, if given, after `timeoutMs`. `dispose()`
 * detaches it from the parent and clears the timer: a finished call must not be aborted later (the MCP SDK
 * would send notifications/cancelled for a request that is long done).
 */
export class ChildAbort {
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onParentAbort = () => this.abort(this.parent?.reason);

  constructor(
    private readonly parent?: AbortSignal,
    timeoutMs?: number,
    timeoutReason: () => unknown = () => timeoutError(timeoutMs ?? 0),
  ) {
    if (parent?.aborted) this.controller.abort(parent.reason);
    else parent?.addEventListener('abort', this.onParentAbort, { once: true });
    if (timeoutMs !== undefined && !this.controller.signal.aborted) this.timer = setTimeout(() => this.abort(timeoutReason()), timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason?: unknown): void {
    this.dispose();
    this.controller.abort(reason);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }
}

export function timeoutError(ms: number): Error {
  const err = new Error(`No answer within ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`}`);
  err.name = 'TimeoutError';
  return err;
}

/**
 * "Newest request wins": each `next()` makes the tickets before it stale, so an answer that arrives after
 * a newer request was made is dropped (and the signal of a stale ticket is aborted, so its work can stop).
 */
export class Latest {
  private current: { n: number; controller: AbortController } | undefined;
  private count = 0;

  next(): { readonly signal: AbortSignal; isCurrent(): boolean } {
    this.current?.controller.abort();
    const ticket = { n: ++this.count, controller: new AbortController() };
    this.current = ticket;
    return { signal: ticket.controller.signal, isCurrent: () => this.current === ticket };
  }
}
