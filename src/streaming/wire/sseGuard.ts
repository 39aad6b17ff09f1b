/** The server-sent-events line checker (the OpenAI wire format). See `lineGuard.ts` for where it sits. */
import {
  concat,
  CR,
  DEFAULT_MAX_LINE_BYTES,
  isBom,
  isBomPrefix,
  LF,
  preview,
  StreamProtocolError,
  type LineGuardOptions,
  type LineScanner,
  type ProtocolProblem,
  type ScanResult,
} from './lineScan';

const COLON = 0x3a;

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
export class SseScanner implements LineScanner {
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
      if (this.name.length > MAX_FIELD || !SSE_FIELDS.some((f) => f.startsWith(this.name)))
        return this.fail(chunk, lineStartHere, 'notSseField');
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
    const line = concat(
      head,
      head.reduce((s, h) => s + h.length, 0),
    );
    const cut = Math.min(lineStartHere, chunk.length);
    this.lineHead = [];
    return {
      out: startedEarlier || cut === 0 ? [] : [chunk.subarray(0, cut)],
      error: new StreamProtocolError('sse', this.opts.url, problem, this.lineNumber, this.lineOffset, preview(line)),
    };
  }
}
