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
 */

export type LineFormat = 'ndjson' | 'sse';

export type ProtocolProblem = 'notJson' | 'notObject' | 'notSseField' | 'tooLong';

export interface LineGuardOptions {
  format: LineFormat;
  /** The endpoint, named in the error. */
  url: string;
  /** A longer line is an error. Default 64 MiB. */
  maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** How much of the offending line goes into the error (for the log). */
const PREVIEW_CHARS = 120;

/** The first line of a response body that is not the wire format. */
export class StreamProtocolError extends Error {
  override readonly name = 'StreamProtocolError';

  constructor(
    readonly format: LineFormat,
    readonly url: string,
    readonly problem: ProtocolProblem,
    /** 1-based number of the offending line in the body. */
    readonly lineNumber: number,
    /** Byte offset in the body where the offending line starts. */
    readonly byteOffset: number,
    /** The start of the line, JSON-quoted so control characters and binary stay readable in a log. */
    readonly preview: string,
  ) {
    super(`${describeProblem(format, problem)} at line ${lineNumber} (byte ${byteOffset}) of the response from ${url}: ${preview}`);
  }

  /** "line 12 is not JSON", for a sentence shown to the user. */
  get summary(): string {
    switch (this.problem) {
      case 'notJson':
        return `line ${this.lineNumber} is not JSON`;
      case 'notObject':
        return `line ${this.lineNumber} is JSON but not an object`;
      case 'notSseField':
        return `line ${this.lineNumber} is not an event-stream field`;
      case 'tooLong':
        return `line ${this.lineNumber} is too long`;
    }
  }
}

function describeProblem(format: LineFormat, problem: ProtocolProblem): string {
  switch (problem) {
    case 'notJson':
      return 'A line that is not JSON';
    case 'notObject':
      return 'A JSON line that is not an object';
    case 'notSseField':
      return 'A line that is not a server-sent-event field (data:, event:, id:, retry: or a :comment)';
    case 'tooLong':
      return `A ${format === 'sse' ? 'server-sent-event' : 'JSON'} line longer than the limit`;
  }
}

/** The `StreamProtocolError` behind `err`, looking through `cause` chains (clients may wrap errors). */
export function protocolErrorOf(err: unknown): StreamProtocolError | undefined {
  let e = err as { cause?: unknown } | undefined;
  for (let i = 0; e && i < 8; e = e.cause as typeof e, i++) {
    if (e instanceof StreamProtocolError) return e;
  }
  return undefined;
}

export interface ScanResult {
  /** Bytes to hand on, in order (views into the input where possible). */
  out: Uint8Array[];
  /** Set when a bad line was found: nothing from that line on is in `out`, and nothing more may be pushed. */
  error?: StreamProtocolError;
}

/** A synchronous line checker; `guardStream` drives it. Exposed for tests. */
export interface LineScanner {
  push(chunk: Uint8Array): ScanResult;
  /** The body ended: checks the last, unterminated line. */
  end(): ScanResult;
}

export function createScanner(opts: LineGuardOptions): LineScanner {
  return opts.format === 'ndjson' ? new NdjsonScanner(opts) : new SseScanner(opts);
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const OPEN_BRACE = 0x7b;
const COLON = 0x3a;

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** The start of `bytes` up to its first line end, JSON-quoted. */
function preview(bytes: Uint8Array): string {
  let head = bytes.subarray(0, PREVIEW_CHARS * 4);
  const lf = head.indexOf(LF);
  const cr = head.indexOf(CR);
  const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
  if (end !== -1) head = head.subarray(0, end);
  // A multi-byte character cut at the end becomes U+FFFD, which is fine here.
  const text = utf8.decode(head);
  const cut = text.length > PREVIEW_CHARS || (end === -1 && bytes.length > head.length);
  return JSON.stringify(text.slice(0, PREVIEW_CHARS)) + (cut ? '…' : '');
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1 && parts[0].length === total) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const BOM = [0xef, 0xbb, 0xbf];
const isBom = (b: Uint8Array, i: number) => b[i] === BOM[0] && b[i + 1] === BOM[1] && b[i + 2] === BOM[2];
const isBomPrefix = (b: Uint8Array) => b.length <= 3 && b.every((v, i) => v === BOM[i]);

/**
 * NDJSON as Ollama writes it: one JSON object per `\n`-terminated line. Blank (whitespace-only) lines are
 * let through; anything else must parse as a JSON object.
 */
class NdjsonScanner implements LineScanner {
  private readonly max: number;
  /** The current, incomplete line (copies). */
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  /** Whether the current line's first non-blank byte has been seen (and was `{`). */
  private startSeen = false;
  private lineNumber = 1;
  /** Body offset where the current line starts. */
  private lineOffset = 0;
  private failed = false;

  constructor(private readonly opts: LineGuardOptions) {
    this.max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  push(chunk: Uint8Array): ScanResult {
    if (this.failed) throw new Error('LineScanner: push after an error');
    const out: Uint8Array[] = [];
    /** Start of the current line in `chunk` (when it started in this chunk), or 0. */
    let start = 0;
    /** Bytes of `chunk` before this are already in `out` or `pending`. */
    let handed = 0;
    /** Hands on the complete, checked lines of `chunk` not handed on yet. */
    const handGood = () => {
      if (start > handed) out.push(chunk.subarray(handed, start));
      handed = start;
    };
    for (let nl = chunk.indexOf(LF); nl !== -1; nl = chunk.indexOf(LF, start)) {
      let line: Uint8Array;
      let whole: Uint8Array | undefined;
      if (this.pendingLength > 0) {
        // The line began in an earlier chunk: join it (newline included) so the client gets it in one piece.
        this.pending.push(chunk.subarray(0, nl + 1));
        whole = concat(this.pending, this.pendingLength + nl + 1);
        line = whole.subarray(0, whole.length - 1);
      } else {
        line = chunk.subarray(start, nl);
      }
      const problem = line.length > this.max ? 'tooLong' : this.check(line);
      if (problem) {
        handGood();
        return this.fail(out, problem, line);
      }
      if (whole) {
        out.push(whole);
        handed = nl + 1;
        this.pending = [];
        this.pendingLength = 0;
      }
      this.lineOffset += line.length + 1;
      this.lineNumber++;
      this.startSeen = false;
      start = nl + 1;
    }
    handGood();
    if (start < chunk.length) {
      const tail = chunk.subarray(start);
      if (!this.startSeen) {
        // Until the first three bytes of the body are in, they may be a BOM split across chunks: look at them together.
        const bomOpen = this.lineOffset === 0 && this.pendingLength < 3;
        const probe = bomOpen && this.pendingLength > 0 ? concat([...this.pending, tail], this.pendingLength + tail.length) : tail;
        const first = this.firstNonBlank(probe, bomOpen);
        if (first !== -1) {
          if (probe[first] !== OPEN_BRACE) return this.fail(out, 'notJson', this.pendingLength ? concat([...this.pending, tail], this.pendingLength + tail.length) : tail);
          this.startSeen = true;
        }
      }
      if (this.pendingLength + tail.length > this.max) return this.fail(out, 'tooLong', this.pending[0] ?? tail);
      this.pending.push(tail.slice());
      this.pendingLength += tail.length;
    }
    return { out };
  }

  end(): ScanResult {
    if (this.failed || this.pendingLength === 0) return { out: [] };
    const line = concat(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    const problem = this.check(line);
    return problem ? this.fail([], problem, line) : { out: [line] };
  }

  /**
   * Index of the first byte that is not blank, or -1. At the start of the body a BOM counts as blank, and
   * so does the start of one (more bytes will tell).
   */
  private firstNonBlank(bytes: Uint8Array, atBodyStart: boolean): number {
    if (atBodyStart && bytes.length < 3 && isBomPrefix(bytes)) return -1;
    let i = atBodyStart && isBom(bytes, 0) ? 3 : 0;
    while (i < bytes.length && (bytes[i] === SPACE || bytes[i] === TAB || bytes[i] === CR)) i++;
    return i < bytes.length ? i : -1;
  }

  private check(line: Uint8Array): ProtocolProblem | undefined {
    const first = this.firstNonBlank(line, this.lineOffset === 0);
    if (first === -1) return undefined;
    if (line[first] !== OPEN_BRACE) return 'notJson';
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(line.subarray(first)));
    } catch {
      return 'notJson';
    }
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : 'notObject';
  }

  private fail(out: Uint8Array[], problem: ProtocolProblem, line: Uint8Array): ScanResult {
    this.failed = true;
    this.pending = [];
    this.pendingLength = 0;
    return { out, error: new StreamProtocolError('ndjson', this.opts.url, problem, this.lineNumber, this.lineOffset, preview(line)) };
  }
}

/** The field names of the SSE spec, the only ones the guard lets through. */
const SSE_FIELDS = ['data', 'event', 'id', 'retry'];
const MAX_FIELD = 5;

const enum SseState {
  /** At the start of a line, nothing read yet. */
  LineStart,
  /** Reading the field name (the bytes so far are in `name`). */
  Name,
  /** In the value or a comment: skipping to the end of the line. */
  Rest,
}

/**
 * Server-sent events: every line is blank, a `:comment`, or a field `data`, `event`, `id` or `retry`
 * (with or without a colon). Lines end in `\n`, `\r\n` or `\r`. The body passes through as it arrives.
 */
class SseScanner implements LineScanner {
  private readonly max: number;
  private state = SseState.LineStart;
  private name = '';
  /** The previous chunk ended in `\r`: a `\n` first in this one belongs to the same line end. */
  private afterCr = false;
  private lineNumber = 1;
  private lineOffset = 0;
  private lineLength = 0;
  /** The start of the current line, kept only while its name is still being read (for the preview). */
  private lineHead: Uint8Array[] = [];
  private bodyOffset = 0;
  /** The first bytes of the body while they may still be a BOM (split across chunks); undefined once decided. */
  private bomProbe: Uint8Array | undefined = new Uint8Array(0);
  private failed = false;

  constructor(private readonly opts: LineGuardOptions) {
    this.max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  push(chunk: Uint8Array): ScanResult {
    if (this.failed) throw new Error('LineScanner: push after an error');
    const n = chunk.length;
    let i = 0;
    if (this.bomProbe && n > 0) {
      const seen = this.bomProbe.length;
      const probe = concat([this.bomProbe, chunk.subarray(0, 3 - seen)], Math.min(3, seen + n));
      if (probe.length < 3 && isBomPrefix(probe)) {
        this.bomProbe = probe;
        this.bodyOffset += n;
        this.lineOffset = this.bodyOffset;
        return { out: [chunk] };
      }
      this.bomProbe = undefined;
      if (isBom(probe, 0)) i = 3 - seen;
      else if (seen > 0) return this.fail(chunk, 0, 'notSseField');
    }
    if (this.afterCr && n > 0) {
      this.afterCr = false;
      if (chunk[0] === LF) i = 1;
    }
    this.lineOffset += i;
    // Next line-end positions, found once and reused until passed (a chunk holds many lines).
    let nextLf = -2;
    let nextCr = -2;
    /** Start of the current line within this chunk (where the chunk's scan starts when it began earlier). */
    let lineStartHere = i;
    while (i < n) {
      if (this.state === SseState.Rest) {
        if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
        if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
        const end = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
        if (end === -1) {
          this.lineLength += n - i;
          if (this.lineLength > this.max) return this.fail(chunk, lineStartHere, 'tooLong');
          i = n;
          break;
        }
        this.lineLength += end - i;
        if (this.lineLength > this.max) return this.fail(chunk, lineStartHere, 'tooLong');
        i = this.endLine(chunk, end);
        lineStartHere = i;
        continue;
      }
      const b = chunk[i];
      if (b === LF || b === CR) {
        if (this.state === SseState.Name && !SSE_FIELDS.includes(this.name)) return this.fail(chunk, lineStartHere, 'notSseField');
        i = this.endLine(chunk, i);
        lineStartHere = i;
        continue;
      }
      if (this.state === SseState.LineStart) {
        if (b === COLON) {
          this.state = SseState.Rest;
          this.lineLength = 1;
          i++;
          continue;
        }
        this.state = SseState.Name;
        this.name = '';
        this.lineHead = [];
      }
      // Reading the field name.
      if (b === COLON) {
        if (!SSE_FIELDS.includes(this.name)) return this.fail(chunk, lineStartHere, 'notSseField');
        this.state = SseState.Rest;
        this.lineLength = this.name.length + 1;
        this.lineHead = [];
        i++;
        continue;
      }
      this.name += String.fromCharCode(b);
      if (this.name.length > MAX_FIELD || !SSE_FIELDS.some((f) => f.startsWith(this.name))) return this.fail(chunk, lineStartHere, 'notSseField');
      i++;
    }
    if (this.state === SseState.Name) this.lineHead.push(chunk.slice(lineStartHere));
    this.bodyOffset += n;
    return { out: [chunk] };
  }

  end(): ScanResult {
    if (this.failed) return { out: [] };
    if (this.state === SseState.Name && !SSE_FIELDS.includes(this.name)) return this.fail(new Uint8Array(0), 0, 'notSseField');
    return { out: [] };
  }

  /** Passes the line end at `at` (a `\r\n` counts once); returns the index after it. */
  private endLine(chunk: Uint8Array, at: number): number {
    let next = at + 1;
    if (chunk[at] === CR) {
      if (next < chunk.length) {
        if (chunk[next] === LF) next++;
      } else {
        this.afterCr = true;
      }
    }
    this.lineNumber++;
    this.lineOffset = this.bodyOffset + next;
    this.lineLength = 0;
    this.state = SseState.LineStart;
    this.lineHead = [];
    return next;
  }

  /** The bad line starts at `lineStartHere` in `chunk` (or in an earlier chunk when the name spans chunks). */
  private fail(chunk: Uint8Array, lineStartHere: number, problem: ProtocolProblem): ScanResult {
    this.failed = true;
    const startedEarlier = this.lineOffset < this.bodyOffset;
    const head = startedEarlier ? [...this.lineHead, chunk] : [chunk.subarray(lineStartHere)];
    const line = concat(head, head.reduce((s, h) => s + h.length, 0));
    const cut = Math.min(lineStartHere, chunk.length);
    this.lineHead = [];
    return {
      out: startedEarlier || cut === 0 ? [] : [chunk.subarray(0, cut)],
      error: new StreamProtocolError('sse', this.opts.url, problem, this.lineNumber, this.lineOffset, preview(line)),
    };
  }
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
  const guarded = new Response(guardStream(response.body, opts), { status: response.status, statusText: response.statusText, headers: response.headers });
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
