/**
 * What the model gets for the context chips: each attachment as a delimited block of text, and the user
 * message that carries them before the question. Plain inputs only (no `vscode`), so it runs and is tested
 * in plain Node; src/extension/context/contextController.ts gathers the inputs from the editor.
 */
import type { ContextChipLabel, ContextKind } from '../../shared/protocol';
import { estimateTokens } from '../../shared/tokens';
import { fenceFor } from '../../shared/markdownFences';

/** One piece of context as it goes with a question (the same shape the conversation store keeps). */
export interface ContextAttachment {
  kind: ContextKind;
  /** The chip's text: a file name, `a.ts:12-20`, `Problems (3)`. */
  label: string;
  /** Exactly what the model gets for it, heading and truncation note included. */
  text: string;
  /** Said on the chip when the content was cut ("first 1,234 of 9,876 lines"). */
  note?: string;
  tokens: number;
  /** The tooltip: the workspace-relative path and line range. */
  detail?: string;
}

export type Refusal = { ok: false; reason: string };

/**
 * About 48,000 characters ≈ 12k tokens: a quarter of a 48k context, or most of Ollama's usual 8k-16k
 * num_ctx once instructions and the conversation are in. Anything longer is cut at a line, with a note.
 */
export const MAX_ATTACHMENT_CHARS = 48_000;

/** Git's binary test looks for a NUL in the first 8,000 bytes (xdiff's buffer_is_binary); we look at 8 KiB. */
const SNIFF_BYTES = 8192;
/** Share of undecodable characters in the sniffed head above which a NUL-free file still counts as binary. */
const MAX_INVALID_SHARE = 0.02;

/** The user message the model receives: every attachment's block, then the question. None: just the question. */
export function userContent(question: string, attachments: readonly ContextAttachment[]): string {
  if (!attachments.length) return question;
  return `${attachments.map((a) => a.text).join('\n\n')}\n\n${question}`;
}

/** The label shown under a sent question (ContextChipLabel in the protocol). */
export function chipLabel(a: ContextAttachment): ContextChipLabel {
  return { kind: a.kind, label: a.label, tokens: a.tokens };
}

export interface FileInput {
  /** The chip's text, usually the file name. */
  label: string;
  /** The workspace-relative path: used in the heading the model sees when given. */
  detail?: string;
  bytes: Uint8Array;
  /** The fence's info string; the file's extension when absent. */
  languageId?: string;
  kind?: 'file' | 'activeFile';
}

export interface Limits {
  maxChars?: number;
}

/** A file's bytes as an attachment, cut at a whole line when long; refused when it looks binary. */
export function fileAttachment(input: FileInput, limits?: Limits): { ok: true; attachment: ContextAttachment } | Refusal {
  const text = decodeText(input.bytes);
  if (text === undefined) return { ok: false, reason: `${input.label} looks binary; only text files can be attached.` };
  return { ok: true, attachment: textFileAttachment({ ...input, text }, limits) };
}

/** A file whose text is already known (an open editor's buffer, unsaved edits included). */
export function textFileAttachment(input: Omit<FileInput, 'bytes'> & { text: string }, limits?: Limits): ContextAttachment {
  const kind = input.kind ?? 'file';
  const path = input.detail ?? input.label;
  const heading = `${kind === 'activeFile' ? 'Active file' : 'File'}: ${path}`;
  return codeAttachment(kind, input.label, input.detail, heading, input.text, input.languageId ?? extensionOf(path), 'lines', limits);
}

export interface SelectionInput {
  /** Like `a.ts:12-20`. */
  label: string;
  /** The workspace-relative path. */
  detail?: string;
  text: string;
  languageId?: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
}

/** The editor selection as an attachment, cut (with a note) when someone selected a whole huge file. */
export function selectionAttachment(input: SelectionInput, limits?: Limits): ContextAttachment {
  const path = input.detail ?? input.label;
  const lines = input.startLine === input.endLine ? `line ${input.startLine}` : `lines ${input.startLine}-${input.endLine}`;
  const detail = `${path} (${lines})`;
  return codeAttachment(
    'selection',
    input.label,
    detail,
    `Selection: ${detail}`,
    input.text,
    input.languageId ?? extensionOf(path),
    'selected lines',
    limits,
  );
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Problem {
  /** Workspace-relative path. */
  file: string;
  /** 1-based. */
  line: number;
  severity: Severity;
  message: string;
  source?: string;
}

/** More problems than this are cut: a broken build can report thousands, and the first ones matter most. */
export const MAX_PROBLEMS = 50;

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

/** The workspace's problems as a list, errors first, then warnings, each group by file and line. */
export function problemsAttachment(diagnostics: readonly Problem[], limit = MAX_PROBLEMS): ContextAttachment {
  const sorted = [...diagnostics].sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      compare(a.file, b.file) ||
      a.line - b.line ||
      compare(a.message, b.message),
  );
  const shown = sorted.slice(0, Math.max(0, limit));
  const counts = (['error', 'warning', 'info', 'hint'] as const)
    .map((s) => [s, diagnostics.filter((d) => d.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${plural(s, n)}`)
    .join(', ');
  const items = shown.map((d) => {
    // Compiler messages run over several lines (TypeScript's elaborations): indented, they stay one item.
    const message = d.message.trim().replace(/\r?\n/g, '\n  ');
    return `- ${d.file}:${d.line} ${d.severity}: ${message}${d.source ? ` (${d.source})` : ''}`;
  });
  const note = shown.length < sorted.length ? `first ${fmt(shown.length)} of ${fmt(sorted.length)} problems` : undefined;
  const heading = sorted.length ? `Problems in the workspace (${counts}):` : 'Problems in the workspace: none.';
  const text = [heading, ...items, ...(note ? [`[truncated: ${note}]`] : [])].join('\n');
  return {
    kind: 'problems',
    label: `Problems (${fmt(sorted.length)})`,
    text,
    tokens: estimateTokens(text),
    ...(note ? { note } : {}),
    ...(counts ? { detail: counts } : {}),
  };
}

/**
 * The bytes as text, or undefined when they look binary: a NUL in the head, or more than a sliver of it
 * not being UTF-8. A UTF-16 file (which has NULs) is recognised by its byte order mark.
 */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  const head = bytes.subarray(0, SNIFF_BYTES);
  if (head.includes(0)) return undefined;
  // stream: a multibyte character cut by the 8 KiB boundary is held back rather than counted as invalid.
  const sample = new TextDecoder('utf-8').decode(head, { stream: head.length < bytes.length });
  const invalid = sample.split('\uFFFD').length - 1;
  if (invalid > 0 && invalid / Math.max(1, sample.length) > MAX_INVALID_SHARE) return undefined;
  return new TextDecoder('utf-8').decode(bytes);
}

function codeAttachment(
  kind: ContextKind,
  label: string,
  detail: string | undefined,
  heading: string,
  text: string,
  info: string,
  unit: string,
  limits?: Limits,
): ContextAttachment {
  const cut = cutAtLine(text, limits?.maxChars ?? MAX_ATTACHMENT_CHARS, unit);
  const body = cut.text === '' || cut.text.endsWith('\n') ? cut.text : `${cut.text}\n`;
  const fence = fenceFor(body);
  const block = `${heading}\n${fence}${info}\n${body}${fence}${cut.note ? `\n[truncated: ${cut.note}]` : ''}`;
  return {
    kind,
    label,
    text: block,
    tokens: estimateTokens(block),
    ...(cut.note ? { note: cut.note } : {}),
    ...(detail ? { detail } : {}),
  };
}

/**
 * The whole lines that fit in `maxChars`, and a note saying how many of how many when that is not all.
 * A first line longer than the limit (minified code) is cut inside it, and the note counts characters.
 */
export function cutAtLine(text: string, maxChars: number, unit = 'lines'): { text: string; note?: string } {
  if (text.length <= maxChars) return { text };
  const totalLines = countLines(text);
  const lastNewline = text.lastIndexOf('\n', maxChars - 1);
  if (lastNewline < 0) {
    // Not between the two halves of a surrogate pair.
    const end = isHighSurrogate(text.charCodeAt(maxChars - 1)) ? maxChars - 1 : maxChars;
    return { text: text.slice(0, end), note: `first ${fmt(end)} of ${fmt(text.length)} characters` };
  }
  const kept = text.slice(0, lastNewline + 1);
  return { text: kept, note: `first ${fmt(countLines(kept))} of ${fmt(totalLines)} ${unit}` };
}

/** Lines as an editor counts them: a final newline does not start another one. */
export function countLines(text: string): number {
  if (text === '') return 0;
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n - 1 : n;
}

function extensionOf(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const fmt = (n: number) => n.toLocaleString('en-US');
const NAMES: Record<Severity, [string, string]> = {
  error: ['error', 'errors'],
  warning: ['warning', 'warnings'],
  info: ['info', 'infos'],
  hint: ['hint', 'hints'],
};
const plural = (s: Severity, n: number) => NAMES[s][n === 1 ? 0 : 1];
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
