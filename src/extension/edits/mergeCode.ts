/**
 * What a file becomes when a code block is applied to it. Search/replace markers say it exactly; otherwise
 * the block goes over the region of the file it matches (a line diff, jsdiff's `diffArrays`, finds the
 * block's lines in the file), which for a block that is the whole file is the whole file. "// ... existing
 * code ..." lines split a block into parts merged one by one. When the block matches nowhere, or only by
 * lines like `}` that are everywhere, the answer is "unsure" and the user decides: nothing is guessed.
 */
import { diffArrays } from 'diff';
import { normalizeEol } from './rebase';

export type Merge = { ok: true; kind: 'new' | 'searchReplace' | 'region'; text: string } | { ok: false; reason: string };

/** A long file against a long block: jsdiff gives up rather than hold the extension host. */
const DIFF_TIMEOUT_MS = 1000;

export function mergeBlock(current: string | undefined, code: string): Merge {
  const block = normalizeEol(code);
  if (current === undefined || current.trim() === '') return { ok: true, kind: 'new', text: withFinalNewline(block) };
  const file = normalizeEol(current);
  if (SEARCH_START.test(block)) return applySearchReplace(file, block);
  const parts = splitAtElisions(block);
  let text = file;
  for (const part of parts) {
    const merged = mergeRegion(text, part);
    if (!merged.ok) return merged;
    text = merged.text;
  }
  return { ok: true, kind: 'region', text };
}

// --- search/replace markers (the aider format) ---

const SEARCH_START = /^<{5,9} ?SEARCH\s*$/m;
const BLOCK_RE = /^<{5,9} ?SEARCH[^\n]*\n([\s\S]*?)^={5,9}\s*\n([\s\S]*?)^>{5,9} ?REPLACE[^\n]*$/gm;

export function applySearchReplace(file: string, block: string): Merge {
  let text = file;
  let count = 0;
  for (const match of block.matchAll(BLOCK_RE)) {
    const search = match[1] ?? '';
    const replace = match[2] ?? '';
    count++;
    if (search.trim() === '') {
      // An empty SEARCH adds to the end, as aider reads it.
      text = withFinalNewline(text) + replace;
      continue;
    }
    const at = findLines(text, search);
    if (!at) return { ok: false, reason: `Search block ${count} is not in the file` };
    text = text.slice(0, at.start) + replace + text.slice(at.end);
  }
  if (count === 0) return { ok: false, reason: 'The search/replace markers are incomplete' };
  return { ok: true, kind: 'searchReplace', text };
}

/** `search` in `text`: exactly, else line by line ignoring indentation and trailing spaces (models drift there). */
function findLines(text: string, search: string): { start: number; end: number } | undefined {
  const exact = text.indexOf(search);
  if (exact >= 0 && text.indexOf(search, exact + 1) < 0) return { start: exact, end: exact + search.length };
  const lines = text.split('\n');
  const want = search
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => l.trim());
  const starts = lineStarts(lines);
  let found: { start: number; end: number } | undefined;
  for (let i = 0; i + want.length <= lines.length; i++) {
    if (want.every((w, k) => lines[i + k]!.trim() === w)) {
      // Twice in the file: which one is meant cannot be told, so neither is taken.
      if (found) return undefined;
      const endLine = i + want.length;
      found = { start: starts[i]!, end: endLine < lines.length ? starts[endLine]! : text.length };
    }
  }
  return found;
}

// --- the best matching region ---

const ELISION =
  /^\s*(?:\/\/|#|--|\/\*|<!--|;|%)?\s*(?:\.{3}|…)\s*(?:(?:rest|remainder|existing|unchanged|previous|other|more|same)\b[^\n]*)?(?:\.{3}|…)?\s*(?:\*\/|-->)?\s*$/i;

function splitAtElisions(block: string): string[] {
  const parts: string[][] = [[]];
  for (const line of block.replace(/\n$/, '').split('\n')) {
    if (ELISION.test(line) && /(?:\.{3}|…)/.test(line)) parts.push([]);
    else parts[parts.length - 1]!.push(line);
  }
  return parts.filter((p) => p.some((l) => l.trim() !== '')).map((p) => p.join('\n'));
}

/** A line that says where it is: not blank, not only brackets and punctuation. */
function significant(line: string): boolean {
  const t = line.trim();
  return t.length >= 3 && /[A-Za-z0-9]/.test(t);
}

export function mergeRegion(file: string, part: string): Merge {
  const fileLines = file.replace(/\n$/, '').split('\n');
  const blockLines = part.replace(/\n$/, '').split('\n');
  const changes = diffArrays(fileLines, blockLines, { comparator: (a, b) => a.trim() === b.trim(), timeout: DIFF_TIMEOUT_MS });
  if (!changes) return { ok: false, reason: 'The file is too long to place the block in it' };
  let pairs: Array<[number, number]> = [];
  let fi = 0;
  let bi = 0;
  for (const change of changes) {
    const n = change.count ?? change.value.length;
    if (change.added) bi += n;
    else if (change.removed) fi += n;
    else {
      for (let k = 0; k < n; k++) if (significant(blockLines[bi + k]!)) pairs.push([fi + k, bi + k]);
      fi += n;
      bi += n;
    }
  }
  const wanted = Math.max(1, Math.ceil(0.2 * blockLines.filter(significant).length));
  pairs = dropStrays(pairs, blockLines.length);
  if (pairs.length < wanted) {
    // Every line edited (a function rewritten): the region whose words are most like the block's, if one stands out.
    const near = mostAlike(fileLines, blockLines);
    if (!near)
      return { ok: false, reason: pairs.length ? 'Too few lines of the block are in the file' : 'No line of the block is in the file' };
    return { ok: true, kind: 'region', text: splice(file, fileLines, near.start, near.end, blockLines) };
  }
  const [fa, ba] = pairs[0]!;
  const [fb, bb] = pairs[pairs.length - 1]!;
  // Lines of the block around its first and last matches that are, or resemble, the file's lines there
  // (a closing brace, a new signature) are those lines: they replace them rather than land next to them.
  let start = fa;
  for (let k = 1; k <= ba && start > 0 && sameLine(fileLines[start - 1]!, blockLines[ba - k]!); k++) start--;
  let end = fb + 1;
  for (let k = 1; bb + k < blockLines.length && end < fileLines.length && sameLine(fileLines[end]!, blockLines[bb + k]!); k++) end++;
  return { ok: true, kind: 'region', text: splice(file, fileLines, start, end, blockLines) };
}

function splice(file: string, fileLines: string[], start: number, end: number, blockLines: string[]): string {
  const merged = [...fileLines.slice(0, start), ...blockLines, ...fileLines.slice(end)].join('\n');
  return file.endsWith('\n') ? withFinalNewline(merged) : merged;
}

/** Beyond this many line pairs the word comparison is not tried: it would hold the extension host. */
const MAX_ALIKE_WORK = 2_000_000;

/**
 * The run of file lines (about as long as the block) sharing the most words and operators with it (Dice's
 * coefficient over the multisets), when it shares most of them and no run elsewhere shares as many.
 */
function mostAlike(fileLines: string[], blockLines: string[]): { start: number; end: number } | undefined {
  const n = blockLines.length;
  if (fileLines.length * (n + 2) > MAX_ALIKE_WORK) return undefined;
  const want = bag(blockLines.flatMap(tokens));
  const wantSize = sum(want);
  const lineTokens = fileLines.map(tokens);
  const scores: Array<{ start: number; end: number; score: number }> = [];
  for (let len = Math.max(1, n - 2); len <= n + 2; len++) {
    for (let i = 0; i + len <= fileLines.length; i++) {
      const have = bag(lineTokens.slice(i, i + len).flat());
      let shared = 0;
      for (const [token, count] of have) shared += Math.min(count, want.get(token) ?? 0);
      scores.push({ start: i, end: i + len, score: (2 * shared) / (wantSize + sum(have)) });
    }
  }
  const best = scores.reduce((a, b) => (b.score > a.score ? b : a), { start: 0, end: 0, score: 0 });
  const rival = Math.max(0, ...scores.filter((s) => s.end <= best.start || s.start >= best.end).map((s) => s.score));
  return best.score >= 0.6 && best.score > rival ? best : undefined;
}

function tokens(line: string): string[] {
  return line.match(/\w+|[^\s\w]/g) ?? [];
}

function bag(items: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

function sum(counts: Map<string, number>): number {
  let total = 0;
  for (const c of counts.values()) total += c;
  return total;
}

/**
 * Matches far from the others (a `return x;` that also appears 300 lines away) would stretch the region
 * over code the block never meant: matches are dropped from the ends while the region is much longer
 * than the block.
 */
function dropStrays(pairs: Array<[number, number]>, blockLength: number): Array<[number, number]> {
  const limit = (n: number) => 2 * n + 10;
  const p = [...pairs];
  while (p.length > 1 && p[p.length - 1]![0] - p[0]![0] + 1 > limit(blockLength)) {
    const headGap = p[1]![0] - p[0]![0];
    const tailGap = p[p.length - 1]![0] - p[p.length - 2]![0];
    if (headGap >= tailGap) p.shift();
    else p.pop();
  }
  return p;
}

/** The file's line, as it is or edited (a closing brace, a blank line, or most of its words). */
function sameLine(fileLine: string, blockLine: string): boolean {
  return fileLine.trim() === blockLine.trim() || similar(fileLine, blockLine);
}

/** Two lines are the same line edited when most of their words are shared. */
function similar(a: string, b: string): boolean {
  if (!significant(a) || !significant(b)) return false;
  const wa = new Set(a.trim().split(/\W+/).filter(Boolean));
  const wb = b.trim().split(/\W+/).filter(Boolean);
  if (wa.size === 0 || wb.length === 0) return false;
  const shared = wb.filter((w) => wa.has(w)).length;
  return shared / Math.max(wa.size, wb.length) >= 0.5;
}

function lineStarts(lines: string[]): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const line of lines) {
    starts.push(at);
    at += line.length + 1;
  }
  return starts;
}

function withFinalNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}
