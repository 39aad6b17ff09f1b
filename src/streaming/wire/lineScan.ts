/**
 * What the line guards share: the wire formats, the error a bad line raises, the scanner interface the
 * stream wrapper drives, and the byte helpers both scanners use. See `lineGuard.ts` for the why.
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

export const LF = 0x0a;
export const CR = 0x0d;

export const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** The start of `bytes` up to its first line end, JSON-quoted. */
export function preview(bytes: Uint8Array): string {
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

export function concat(parts: Uint8Array[], total: number): Uint8Array {
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
export const isBom = (b: Uint8Array, i: number) => b[i] === BOM[0] && b[i + 1] === BOM[1] && b[i + 2] === BOM[2];
export const isBomPrefix = (b: Uint8Array) => b.length <= 3 && b.every((v, i) => v === BOM[i]);
