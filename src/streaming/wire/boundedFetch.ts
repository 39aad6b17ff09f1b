/**
 * Caps on the small requests the extension makes by itself (model lists, /api/show): the clients read such
 * a body whole with `response.json()`, so an endless body (a hostile or broken server) would grow the
 * extension host until it dies, and a server that sends headers and then nothing would hold the setup check
 * forever (refreshModel passes no signal). Chat streams are not bounded here: they are long by nature and
 * the line guard already caps what the client buffers.
 */
import { ChildAbort } from '../../shared/abort';
import { findCause } from '../../shared/errors';
import { TIMEOUTS } from '../../shared/timeouts';
import { requestPath } from './lineGuard';

export interface ResponseLimits {
  /** Bytes of body read before the request fails (Content-Length is checked first). */
  maxBytes?: number;
  /** From the request to the last byte of the body. */
  timeoutMs?: number;
}

export const DEFAULT_RESPONSE_LIMITS: Required<ResponseLimits> = { maxBytes: 8 * 1024 * 1024, timeoutMs: TIMEOUTS.smallResponseMs };

/** Why a bounded request failed; providers turn it into their message. Found through `cause` chains by `limitErrorOf`. */
export class ResponseLimitError extends Error {
  override readonly name = 'ResponseLimitError';
  constructor(
    readonly kind: 'tooLarge' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

export function limitErrorOf(err: unknown): ResponseLimitError | undefined {
  return findCause(err, ResponseLimitError);
}

/** A fetch that bounds the size and duration of the responses `applies` selects (by request path). */
export function boundedFetch(base: typeof fetch, limits: ResponseLimits, applies: (path: string) => boolean): typeof fetch {
  const maxBytes = limits.maxBytes ?? DEFAULT_RESPONSE_LIMITS.maxBytes;
  const timeoutMs = limits.timeoutMs ?? DEFAULT_RESPONSE_LIMITS.timeoutMs;
  return async (input, init) => {
    if (!applies(requestPath(input))) return base(input, init);
    const tooLarge = new ResponseLimitError(
      'tooLarge',
      `the response was more than ${Math.round(maxBytes / 1024 / 1024)} MiB, so it was not read`,
    );
    // The limits' own signal (no parent: the caller's signal is merged in below, and tells its aborts apart).
    const limiter = new ChildAbort(
      undefined,
      timeoutMs,
      () => new ResponseLimitError('timeout', `the server did not finish answering within ${timeoutMs / 1000} s`),
    );
    const done = () => limiter.dispose();
    const signal = init?.signal ? AbortSignal.any([init.signal, limiter.signal]) : limiter.signal;
    let response: Response;
    try {
      response = await base(input, { ...init, signal });
    } catch (err) {
      done();
      throw limiter.signal.aborted ? limiter.signal.reason : err;
    }
    if (Number(response.headers.get('content-length')) > maxBytes) {
      done();
      limiter.abort(tooLarge);
      throw tooLarge;
    }
    if (!response.body) {
      done();
      return response;
    }
    const body = countedBody(response.body, maxBytes, limiter, tooLarge, done);
    const bounded = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    // A constructed Response has an empty url; clients log it.
    Object.defineProperty(bounded, 'url', { value: response.url });
    return bounded;
  };
}

/** `body`, erroring (and closing the connection) past `maxBytes` or when `limiter` aborts (the timeout). */
function countedBody(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  limiter: ChildAbort,
  tooLarge: ResponseLimitError,
  done: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let total = 0;
  let fail: ((reason: unknown) => void) | undefined;
  const onAbort = () => fail?.(limiter.signal.reason);
  limiter.signal.addEventListener('abort', onAbort, { once: true });
  const finish = () => {
    done();
    limiter.signal.removeEventListener('abort', onAbort);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        fail = (reason) => {
          finish();
          controller.error(reason);
          reader.cancel(reason).catch(() => undefined);
        };
      },
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (err) {
          // The timeout aborts the fetch too: report it as the timeout, not as a bare abort.
          fail?.(limiter.signal.aborted ? limiter.signal.reason : err);
          return;
        }
        if (result.done) {
          finish();
          return controller.close();
        }
        total += result.value.byteLength;
        if (total > maxBytes) {
          limiter.abort(tooLarge);
          return;
        }
        controller.enqueue(result.value);
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
