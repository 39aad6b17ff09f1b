/**
 * Which file a code block is for, as models write it: in the fence's info string (`ts src/app.ts`,
 * `ts:src/app.ts`, `ts title="src/app.ts"`), on the line before the fence ("`src/app.ts`:"), or as a
 * first-line comment (`// src/app.ts`, `# File: app.py`). No vscode here: only the text is judged; where
 * the path leads is checked by the caller, inside the workspace.
 */
import { posix } from 'node:path';

export interface CodeBlock {
  /** The code as shown. */
  text: string;
  /** The fence's whole info string. */
  info?: string;
  /** The last line of the text just before the block. */
  before?: string;
}

export interface NamedBlock {
  /** A relative (or absolute) path as the model wrote it, normalized; undefined when the block names none. */
  path?: string;
  /** The code, without a first-line comment that only named the file. */
  code: string;
  /** That comment, for a file that really starts with it. */
  pathComment?: string;
}

const PATH = String.raw`(?:\.{1,2}\/|\/)?(?:[\w@+~-][\w@+.~-]*\/)*[\w@+~-][\w@+.~-]*\.[A-Za-z][\w-]{0,11}|(?:[\w@+~-][\w@+.~-]*\/)+(?:Makefile|Dockerfile|[\w-]+)`;
const PATH_RE = new RegExp(`^(?:${PATH})$`);
const COMMENT_RE = new RegExp(
  String.raw`^\s*(?:\/\/+|#|--|;+|%|\/\*+|<!--|\{\/\*)\s*(?:(?:file(?:name|path)?|path)\s*:\s*)?(${PATH})\s*(?:\*+\/|-->|\*\/\})?\s*$`,
  'i',
);

export function nameBlock(block: CodeBlock): NamedBlock {
  const fromInfo = pathInInfo(block.info);
  const comment = pathInFirstLine(block.text);
  const path = fromInfo ?? pathInLine(block.before) ?? comment?.path;
  const code = comment && (!path || samePath(comment.path, path)) ? comment.rest : block.text;
  return { path: path && cleanPath(path), code, pathComment: code === block.text ? undefined : comment?.line };
}

/** `ts src/app.ts`, `ts:src/app.ts`, `src/app.ts`, `python title="a/b.py"`, `{path=a.ts}`. */
export function pathInInfo(info: string | undefined): string | undefined {
  if (!info) return undefined;
  const trimmed = info.trim();
  const attr = /\b(?:title|file(?:name)?|path)\s*=\s*["']?([^"'\s}]+)/i.exec(trimmed)?.[1];
  if (attr && looksLikePath(attr)) return attr;
  const words = trimmed.split(/\s+/);
  const colon = /^[\w+#.-]+:(.+)$/.exec(words[0] ?? '')?.[1];
  if (colon && looksLikePath(colon)) return colon;
  for (const word of words) if (looksLikePath(word) && (word.includes('/') || word !== words[0] || words.length === 1)) return word;
  return undefined;
}

/** The line before the fence: "src/app.ts:", "**File: src/app.ts**", "In `src/app.ts`, replace:". */
export function pathInLine(line: string | undefined): string | undefined {
  if (!line || line.length > 200) return undefined;
  const candidates = line.match(new RegExp(`(?<=^|[\\s(\`'"*:])(?:${PATH})(?=$|[\\s)\`'"*:,])`, 'g')) ?? [];
  const real = candidates.filter(looksLikePath);
  return real[real.length - 1];
}

function pathInFirstLine(text: string): { path: string; rest: string; line: string } | undefined {
  const end = text.indexOf('\n');
  const line = end < 0 ? text : text.slice(0, end);
  const path = COMMENT_RE.exec(line)?.[1];
  if (!path || !looksLikePath(path)) return undefined;
  return { path, rest: end < 0 ? '' : text.slice(end + 1), line };
}

/** Version numbers, "e.g.", URLs and domain names look like file names too; these are not taken. */
function looksLikePath(word: string): boolean {
  if (!PATH_RE.test(word) || word.length < 3 || word.length > 300) return false;
  if (/^\d+(\.\d+)+$/.test(word) || /^(?:e\.g|i\.e|etc)\b/i.test(word)) return false;
  if (/^(?:www\.|[\w-]+\.(?:com|org|net|io|dev)$)/i.test(word)) return false;
  return true;
}

function cleanPath(path: string): string {
  return posix.normalize(path.replace(/\\/g, '/'));
}

function samePath(a: string, b: string): boolean {
  return cleanPath(a).replace(/^\.\//, '') === cleanPath(b).replace(/^\.\//, '');
}

/**
 * The path relative to a workspace folder, or why it is refused: `..` that leaves the folder, a home
 * directory (`~`), a NUL. An absolute path is the caller's to check against the folders.
 */
export function relativeInside(path: string): { ok: true; relative: string } | { ok: false; reason: string } {
  if (path.includes('\0')) return { ok: false, reason: 'the path contains a NUL character' };
  if (path.startsWith('~')) return { ok: false, reason: `${path} is outside the workspace` };
  const normal = posix.normalize(path.replace(/\\/g, '/')).replace(/^\.\//, '');
  if (normal === '..' || normal.startsWith('../')) return { ok: false, reason: `${path} is outside the workspace` };
  return { ok: true, relative: normal };
}
