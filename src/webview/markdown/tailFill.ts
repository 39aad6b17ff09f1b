import { endsInsideFence } from '../../shared/markdownFences';

/**
 * Makes the unfinished end of a streaming answer look the way it will most likely end up, for the tail
 * render only (the final render never sees this). Works on the last paragraph-like run of lines: closes
 * an open code span, `**`, `*`, `_` and `~~`; shows a half link `[t](ur` as its text; drops a half image
 * (so nothing loads from a cut-off URL) and a trailing half `<tag`. Leaves alone what would change
 * meaning: the inside of fences, `snake_case`, list markers, thematic breaks and escaped characters.
 */
export function fillIncomplete(text: string): string {
  if (text.length === 0 || endsInsideFence(text)) return text;
  // Inline syntax cannot span a blank line: only the last paragraph can be unfinished.
  const start = afterLastBlankLine(text);
  const head = text.slice(0, start);
  let tail = text.slice(start);
  if (/^ {4,}|^\t/m.test(tail.split('\n')[0] ?? '') && !/^\s*([-*+]|\d+[.)])\s/.test(tail)) return text; // indented code
  tail = dropHalfImage(tail);
  tail = pendingLinkAsText(tail);
  tail = tail.replace(/<\/?[A-Za-z][A-Za-z0-9-]*(\s[^<>\n]*)?$/, '');
  tail = closeInline(tail);
  return head + tail;
}

export { endsInsideFence };

/**
 * Where the text after its last blank line starts (a blank line: only spaces and tabs, after a line break and
 * ended by one), or 0. Walks back line by line: a regular expression that looked ahead for a later blank
 * line from every blank line scanned the rest of the text for each, O(blank lines × tail) on a loose list.
 */
export function afterLastBlankLine(text: string): number {
  for (let end = text.lastIndexOf('\n'); end > 0;) {
    const before = text.lastIndexOf('\n', end - 1);
    if (before < 0) return 0;
    let blank = true;
    for (let i = before + 1; i < end && blank; i++) blank = text[i] === ' ' || text[i] === '\t';
    if (blank) return end + 1;
    end = before;
  }
  return 0;
}

function dropHalfImage(s: string): string {
  // `![alt` or `![alt](partial-url` with no closing parenthesis yet.
  return s.replace(/!\[[^\]\n]*(\](\([^)\s]*)?)?$/, '');
}

function pendingLinkAsText(s: string): string {
  // `[text](partial-url` -> `text`: the link is shown once its URL is complete.
  return s.replace(/\[([^\]\n]*)\]\([^)\s]*$/, '$1');
}

interface Open {
  token: string;
  /** Index just after the opening delimiter. */
  at: number;
}

/**
 * Closes code spans and emphasis left open at the end of `s`. Linear in `s`: the tail can be one long line
 * (a 40 KB line of `_x ` took 18 s per update when each delimiter looked at its whole line and each opener
 * re-scanned the text to close it).
 */
function closeInline(s: string): string {
  const stack: Open[] = [];
  const line = new LineAt(s);
  for (let i = 0; i < s.length;) {
    const c = s[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '`') {
      const n = runLength(s, i);
      const close = findCodeClose(s, i + n, n);
      if (close === -1) return closeCodeSpan(s, i, n, stack);
      i = close + n;
      continue;
    }
    if (c !== '*' && c !== '_' && c !== '~') {
      i++;
      continue;
    }
    const n = runLength(s, i);
    if (isDelimiterRun(s, i, n, line.at(i))) {
      const token = c === '~' ? '~~' : c.repeat(Math.min(n, 3));
      const before = s[i - 1] ?? '\n';
      const after = s[i + n] ?? '';
      const intraword = (ch: string) => c === '_' && /[\p{L}\p{N}]/u.test(ch);
      const top = stack[stack.length - 1];
      if (top?.token === token && !/\s/.test(before) && !intraword(after)) stack.pop();
      // A run at the very end may open something: push it, and closeAll drops it as an empty opener.
      else if (!/\s/.test(after) && !intraword(before)) stack.push({ token, at: i + n });
    }
    i += n;
  }
  return closeAll(s, stack);
}

function runLength(s: string, i: number): number {
  let n = 1;
  while (s[i + n] === s[i]) n++;
  return n;
}

interface Line {
  /** Where the first character that is not a space or tab is (the line's end if none). */
  firstNonBlank: number;
  /** Whether the line is a thematic break made of `*`, `_` or `-`. */
  thematicBreak: boolean;
}

/** What `isDelimiterRun` needs to know of the line around an index, worked out once per line. */
class LineAt {
  private end = -1;
  private line: Line = { firstNonBlank: 0, thematicBreak: false };

  constructor(private readonly s: string) {}

  at(i: number): Line {
    if (i <= this.end) return this.line;
    const start = this.s.lastIndexOf('\n', i - 1) + 1;
    const newline = this.s.indexOf('\n', i);
    this.end = newline === -1 ? this.s.length : newline;
    let first = start;
    while (first < this.end && (this.s[first] === ' ' || this.s[first] === '\t')) first++;
    const text = this.s.slice(start, this.end);
    this.line = { firstNonBlank: first, thematicBreak: /^ {0,3}([*_-])([ \t]*\1){2,}[ \t]*$/.test(text) };
    return this.line;
  }
}

/** False for what looks like emphasis but is not: `* item`, `***` lines, single `~`. */
function isDelimiterRun(s: string, i: number, n: number, line: Line): boolean {
  const c = s[i];
  if (c === '~') return n === 2;
  if (line.thematicBreak) return false;
  const atLineStart = i <= line.firstNonBlank;
  if (c === '*' && n === 1 && atLineStart && /^[ \t]/.test(s[i + 1] ?? ' ')) return false;
  return true;
}

function findCodeClose(s: string, from: number, n: number): number {
  for (let j = from; j < s.length;) {
    if (s[j] !== '`') {
      j++;
      continue;
    }
    const m = runLength(s, j);
    if (m === n) return j;
    j += m;
  }
  return -1;
}

function closeCodeSpan(s: string, i: number, n: number, stack: Open[]): string {
  if (s.slice(i + n).trim() === '') return closeAll(s.slice(0, i), stack);
  return closeAll(s + '`'.repeat(n), stack);
}

/**
 * Closes what is open, innermost first. An opener with nothing after it (`- **`) is dropped instead,
 * so it never becomes `****` (a thematic break). Closers go before trailing spaces, where they still
 * count as closing. Once one closer is written, every opener further out has text after it, so the rest
 * are closers too: they are collected and put in once.
 */
function closeAll(s: string, stack: Open[]): string {
  let out = s;
  let closers = '';
  for (let k = stack.length - 1; k >= 0; k--) {
    const { token, at } = stack[k];
    if (closers) closers += token;
    else if (at > out.length) continue;
    else if (out.slice(at).trim() === '') out = out.slice(0, at - token.length);
    else closers = token;
  }
  let end = out.length;
  while (end > 0 && (out[end - 1] === ' ' || out[end - 1] === '\t')) end--;
  return closers ? out.slice(0, end) + closers + out.slice(end) : out;
}
