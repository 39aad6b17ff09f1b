/**
 * Errors from fetch, the SDKs and Node wrap each other (`cause` chains): the useful part (ECONNREFUSED,
 * a server's message) is often a few levels down. These walk the chain, bounded, in one place.
 */

const MAX_DEPTH = 8;

/** `err` and each of its causes, outermost first. */
export function* causes(err: unknown): Generator<unknown> {
  let e: unknown = err;
  for (let i = 0; e !== undefined && e !== null && i < MAX_DEPTH; i++) {
    yield e;
    e = (e as { cause?: unknown }).cause;
  }
}

/** The first cause that is an instance of `type`. */
export function findCause<T>(err: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (const e of causes(err)) if (e instanceof type) return e;
  return undefined;
}

/** The first string `code` in the chain (ECONNREFUSED, ENOENT, …). */
export function errorCode(err: unknown): string | undefined {
  for (const e of causes(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** "Connection error. <- fetch failed <- connect ECONNREFUSED 127.0.0.1:1234", for the log (a code is added when no message names it). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (const e of causes(err)) {
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : (e as { message?: unknown }).message;
    const code = (e as { code?: unknown }).code;
    const text = `${typeof message === 'string' ? message : String(e)}${typeof code === 'string' && !String(message).includes(code) ? ` (${code})` : ''}`;
    if (text && parts.at(-1) !== text) parts.push(text);
  }
  return parts.join(' <- ');
}

/** The message of whatever was thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
