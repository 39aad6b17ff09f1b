/** The NDJSON line checker (Ollama's wire format). See `lineGuard.ts` for where it sits. */
import {
  concat,
  CR,
  DEFAULT_MAX_LINE_BYTES,
  isBom,
  isBomPrefix,
  LF,
  preview,
  StreamProtocolError,
  utf8,
  type LineGuardOptions,
  type LineScanner,
  type ProtocolProblem,
  type ScanResult,
} from './lineScan';

const SPACE = 0x20;
const TAB = 0x09;
const OPEN_BRACE = 0x7b;

/**
 * NDJSON as Ollama writes it: one JSON object per `\n`-terminated line. Blank (whitespace-only) lines are
 * let through; anything else must parse as a JSON object.
 */
export class NdjsonScanner implements LineScanner {
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
          if (probe[first] !== OPEN_BRACE)
            return this.fail(out, 'notJson', this.pendingLength ? concat([...this.pending, tail], this.pendingLength + tail.length) : tail);
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
