/**
 * `work`, or a rejection with the signal's reason as soon as `signal` aborts. For awaits whose work cannot
 * itself be cancelled (a file read on a hung drive, a shared cached look-up, a callback that ignores the
 * signal): Stop must end the turn now, not when that work happens to finish. The work goes on unobserved.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
