/**
 * Guards a streamed response body against lines that are not the wire format, while the real clients
 * (ollama-js, the openai SDK) still do all of the parsing.
 *
 * Both clients are lenient in a way that loses answers: ollama-js drops an NDJSON line that is not JSON
 * with a console.warn (and throws a TypeError on a JSON line that is not an object), and the openai SDK
 * ignores any SSE line that is not a field it knows. A proxy's HTML error page, a server's plain-text panic
 * or a cut-and-spliced body then vanish, and the answer looks complete or "dropped". The guard sits
 * between `fetch` and the client (see `guardedFetch`): it hands the body on unchanged and, at the first
 * line that is not the format, errors the stream with a `StreamProtocolError`. The client's read rejects
 * with it, so the provider can end the turn with a 'protocol' error after the text that came before.
 *
 * Every line before the bad one reaches the client first: the error is raised on the read after the one
 * that delivers them. The source is cancelled at once, which closes the connection.
 *
 * Cost per byte:
 *   - NDJSON: a native `indexOf` for line ends, then one decode and `JSON.parse` per line (the client parses
 *     it again; Ollama sends tens of lines a second). Partial lines are held back until complete: the client
 *     can do nothing with half a line, and handing it whole lines spares ollama-js re-splitting a growing
 *     buffer on every chunk of a long line. A line whose first byte is not `{` fails at once, whatever its
 *     length.
 *   - SSE: bytes pass through as they arrive; only the field name at the start of each line is looked at
 *     (at most 6 bytes), and line ends are found with native `indexOf`. `data:` payloads are left to the SDK,
 *     which already throws on JSON it cannot parse (an event's data may span several `data:` lines).
 *   - Either: a line longer than `maxLineBytes` (64 MiB by default) is an error, so a server that never
 *     sends a newline cannot make the client buffer without end.
 *
 * The pieces: `lineScan.ts` (the error, the scanner interface, byte helpers), `ndjsonGuard.ts` and
 * `sseGuard.ts` (one scanner per format), and this file (the stream, response and fetch wrappers).
 */
import { NdjsonScanner } from './ndjsonGuard';
import { SseScanner } from './sseGuard';
import { StreamProtocolError, type LineGuardOptions, type LineScanner } from './lineScan';
import { findCause } from '../../shared/errors';

/** The `StreamProtocolError` behind `err`, looking through `cause` chains (clients may wrap errors). */
export function protocolErrorOf(err: unknown): StreamProtocolError | undefined {
  return findCause(err, StreamProtocolError);
}

/** A scanner for the format: `guardStream` drives it. Exposed for tests. */
export function createScanner(opts: LineGuardOptions): LineScanner {
  return opts.format === 'ndjson' ? new NdjsonScanner(opts) : new SseScanner(opts);
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return new TextEncoder().encode(value);
  throw new TypeError(`Unexpected chunk in a response body: ${Object.prototype.toString.call(value)}`);
}

/**
 * `body`, checked line by line. Pull-driven (high-water mark 0): the source is read only when the client
 * reads, so nothing is buffered ahead and backpressure reaches the socket as before.
 */
export function guardStream(body: ReadableStream<Uint8Array>, opts: LineGuardOptions): ReadableStream<Uint8Array> {
  const scanner = createScanner(opts);
  const reader = body.getReader();
  /** A bad line found after good bytes were enqueued: raised on the next read, once those are consumed. */
  let deferred: StreamProtocolError | undefined;
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (deferred) return controller.error(deferred);
        for (;;) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await reader.read();
          } catch (err) {
            // Abort, a dropped connection: the client sees the same error it would have seen unguarded.
            if (!cancelled) controller.error(err);
            return;
          }
          if (cancelled) return;
          const { out, error } = result.done ? scanner.end() : scanner.push(toBytes(result.value));
          let delivered = false;
          for (const piece of out) {
            if (piece.length === 0) continue;
            controller.enqueue(piece);
            delivered = true;
          }
          if (error) {
            // Close the connection now; the client learns of the error once it has read what came before.
            reader.cancel(error).catch(() => undefined);
            if (delivered) deferred = error;
            else controller.error(error);
            return;
          }
          if (result.done) return controller.close();
          if (delivered) return;
        }
      },
      cancel(reason) {
        cancelled = true;
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** `response` with its body guarded, when it is a successful response with a body; otherwise unchanged. */
export function guardResponse(response: Response, opts: LineGuardOptions): Response {
  if (!response.ok || !response.body) return response;
  const guarded = new Response(guardStream(response.body, opts), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // A constructed Response has an empty url; clients log it.
  Object.defineProperty(guarded, 'url', { value: response.url });
  return guarded;
}

/** The path of a fetch input, or '' when it cannot be parsed. */
export function requestPath(input: string | URL | Request): string {
  try {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return new URL(href).pathname;
  } catch {
    return '';
  }
}

/** A fetch that guards the bodies of the responses `applies` selects (by request path). */
export function guardedFetch(base: typeof fetch, opts: LineGuardOptions, applies: (path: string) => boolean): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    return applies(requestPath(input)) ? guardResponse(response, opts) : response;
  };
}
