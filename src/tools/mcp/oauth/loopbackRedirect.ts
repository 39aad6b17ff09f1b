/**
 * Where the browser comes back after an MCP sign-in (RFC 8252 §7.3, loopback redirect): a listener on
 * 127.0.0.1 that takes the one redirect carrying the state it waits for, then closes. Anything else (another
 * path, a wrong or missing state) is refused and does not end the wait: a page in the browser that guesses the
 * port must not be able to cancel or complete someone's sign-in.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { race } from '../../../shared/abort';

export const REDIRECT_PATH = '/callback';

export interface LoopbackRedirect {
  /** The redirect URI to register and send, e.g. http://127.0.0.1:33418/callback. */
  readonly url: string;
  readonly port: number;
  /** Closed after its one redirect, a timeout or close(): a new sign-in needs a new listener. */
  readonly closed: boolean;
  /** The query of the redirect that carries `state`. Rejects after the timeout, on abort, or when closed. */
  wait(state: string, signal?: AbortSignal): Promise<URLSearchParams>;
  close(): void;
}

export interface LoopbackOptions {
  /** The port used last time, so a client registered with that redirect URI keeps matching; any free port otherwise. */
  preferredPort?: number;
  timeoutMs: number;
}

const DONE_PAGE =
  '<!doctype html><meta charset="utf-8"><title>Signed in</title><p>Sign-in is complete. You can close this tab and return to the editor.</p>';
const FAILED_PAGE =
  '<!doctype html><meta charset="utf-8"><title>Sign-in failed</title><p>The sign-in did not complete. Return to the editor for details.</p>';

export async function listenForRedirect(options: LoopbackOptions): Promise<LoopbackRedirect> {
  let waiting: { state: string; resolve(q: URLSearchParams): void } | undefined;
  const closed = new AbortController();
  const server = createServer((req, res) => {
    const query = matchingQuery(req, waiting?.state);
    if (!query) return answer(res, 400, FAILED_PAGE);
    answer(res, 200, query.has('error') ? FAILED_PAGE : DONE_PAGE);
    const done = waiting;
    waiting = undefined;
    done?.resolve(query); // wait() closes the listener once its caller has the answer
  });
  const close = (reason = new Error('The sign-in was closed before the browser came back')) => {
    clearTimeout(lifetime);
    if (!closed.signal.aborted) closed.abort(reason);
    server.close();
    server.closeAllConnections();
  };
  const port = await listen(server, options.preferredPort).catch(() => listen(server, 0));
  // The limit for the browser step, and a listener opened for a sign-in that never got that far is not left open.
  const minutes = Math.round(options.timeoutMs / 60_000);
  const lifetime = setTimeout(
    () => close(new Error(`No answer from the browser within ${minutes} minute${minutes === 1 ? '' : 's'}`)),
    options.timeoutMs,
  );
  lifetime.unref();
  return {
    url: `http://127.0.0.1:${port}${REDIRECT_PATH}`,
    port,
    get closed() {
      return closed.signal.aborted;
    },
    close: () => close(),
    async wait(state, signal) {
      try {
        const until = signal ? AbortSignal.any([closed.signal, signal]) : closed.signal;
        return await race(new Promise<URLSearchParams>((resolve) => (waiting = { state, resolve })), until);
      } finally {
        close();
      }
    },
  };
}

function matchingQuery(req: IncomingMessage, state: string | undefined): URLSearchParams | undefined {
  if (req.method !== 'GET' || !state) return undefined;
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname !== REDIRECT_PATH || url.searchParams.get('state') !== state) return undefined;
  return url.searchParams;
}

function answer(res: ServerResponse, status: number, page: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'",
    Connection: 'close',
  });
  res.end(page);
}

function listen(server: ReturnType<typeof createServer>, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
