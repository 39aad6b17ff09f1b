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
  const lastBlank = text.search(/\n[ \t]*\n(?![\s\S]*\n[ \t]*\n)/);
  const start = lastBlank === -1 ? 0 : text.indexOf('\n', lastBlank + 1) + 1;
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

/** Closes code spans and emphasis left open at the end of `s`. */
function closeInline(s: string): string {
  const stack: Open[] = [];
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
    if (isDelimiterRun(s, i, n)) {
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

/** False for what looks like emphasis but is not: `* item`, `***` lines, single `~`. */
function isDelimiterRun(s: string, i: number, n: number): boolean {
  const c = s[i];
  if (c === '~') return n === 2;
  const lineStart = s.lastIndexOf('\n', i - 1) + 1;
  const lineEnd = s.indexOf('\n', i);
  const line = s.slice(lineStart, lineEnd === -1 ? s.length : lineEnd);
  if (/^ {0,3}([*_-])([ \t]*\1){2,}[ \t]*$/.test(line)) return false;
  const atLineStart = /^[ \t]*$/.test(s.slice(lineStart, i));
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
 * count as closing.
 */
function closeAll(s: string, stack: Open[]): string {
  let out = s;
  for (let k = stack.length - 1; k >= 0; k--) {
    const { token, at } = stack[k];
    if (at > out.length) continue;
    if (out.slice(at).trim() === '') {
      out = out.slice(0, at - token.length);
      continue;
    }
    const trimmed = out.replace(/[ \t]+$/, '');
    out = trimmed + token + out.slice(trimmed.length);
  }
  return out;
}
