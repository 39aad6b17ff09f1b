/**
 * Where the context chips' contents come from in the editor: files (an open document's buffer, else the
 * disk), the selection, the active file, the diagnostics and the workspace's instructions file. Each
 * returns a ContextAttachment (src/streaming/chat/contextPrompt.ts decides what the model sees) or a reason.
 */
import * as vscode from 'vscode';
import {
  fileAttachment,
  problemsAttachment,
  selectionAttachment,
  textFileAttachment,
  type ContextAttachment,
  type Problem,
  type Refusal,
} from '../../streaming/chat/contextPrompt';
import { MAX_INSTRUCTIONS_CHARS, systemPrompt } from '../../streaming/chat/instructions';
import { estimateTokens } from '../../shared/tokens';
import { findInstructionFile } from './instructionFiles';
import { readWorkspaceFile } from '../workspaceFile';

export type Sourced = { ok: true; attachment: ContextAttachment } | Refusal;

/**
 * Files larger than this are refused rather than read: `workspace.fs` reads a file whole, and only the
 * first ~48,000 characters would be kept anyway. 32 MiB still lets a long log be attached (cut, with a note).
 */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** Editors that show something other than a file: the Output panel is a text editor too. */
const NOT_FILES = new Set(['output', 'debug', 'comment', 'vscode-terminal', 'walkThroughSnippet']);

export const baseName = (uri: vscode.Uri) => uri.path.slice(uri.path.lastIndexOf('/') + 1) || uri.path;

/** A file as an attachment: the open document when there is one (unsaved edits are what the user sees), else the disk. */
export async function readFileAttachment(uri: vscode.Uri, kind: 'file' | 'activeFile' = 'file'): Promise<Sourced> {
  const label = baseName(uri);
  const detail = vscode.workspace.asRelativePath(uri);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return { ok: true, attachment: textFileAttachment({ label, detail, text: open.getText(), languageId: open.languageId, kind }) };
  try {
    // Type and size are checked on the opened file itself: a path swapped for /dev/zero or a FIFO after a
    // stat would otherwise be read without end. Whether it may be outside the workspace is the caller's call.
    const read = await readWorkspaceFile(uri, { maxBytes: MAX_FILE_BYTES });
    if (read.ok) return fileAttachment({ label, detail, bytes: read.bytes, kind });
    if (read.code === 'notRegular') {
      const stat = await Promise.resolve(vscode.workspace.fs.stat(uri)).catch(() => undefined);
      if (stat && stat.type & vscode.FileType.Directory) return { ok: false, reason: `${detail} is a folder; only files can be attached.` };
      return { ok: false, reason: `${detail} is not a regular file; only files can be attached.` };
    }
    if (read.code === 'tooLarge')
      return { ok: false, reason: `${label} is too large to attach (the limit is ${mib(MAX_FILE_BYTES)} MiB).` };
    return { ok: false, reason: `${label} could not be read: ${read.reason}` };
  } catch (err) {
    return { ok: false, reason: `${label} could not be read: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The editor's primary selection, when it is not empty. */
export function selectionOf(editor: vscode.TextEditor | undefined): ContextAttachment | undefined {
  if (!editor || editor.selection.isEmpty || NOT_FILES.has(editor.document.uri.scheme)) return undefined;
  const { start, end } = editor.selection;
  const text = editor.document.getText(editor.selection);
  if (!text.trim()) return undefined;
  const startLine = start.line + 1;
  // A selection that ends at the start of a line (Ctrl+A, whole-line drags) does not include that line.
  const endLine = end.character === 0 && end.line > start.line ? end.line : end.line + 1;
  const name = baseName(editor.document.uri);
  return selectionAttachment({
    label: startLine === endLine ? `${name}:${startLine}` : `${name}:${startLine}-${endLine}`,
    detail: vscode.workspace.asRelativePath(editor.document.uri),
    text,
    languageId: editor.document.languageId,
    startLine,
    endLine,
  });
}

/** The document an editor shows, when it is a file (or an untitled buffer) rather than a panel's text. */
export function activeDocument(editor: vscode.TextEditor | undefined): vscode.TextDocument | undefined {
  return editor && !NOT_FILES.has(editor.document.uri.scheme) ? editor.document : undefined;
}

export function activeFileOf(document: vscode.TextDocument): ContextAttachment {
  return textFileAttachment({
    label: baseName(document.uri),
    detail: vscode.workspace.asRelativePath(document.uri),
    text: document.getText(),
    languageId: document.languageId,
    kind: 'activeFile',
  });
}

const SEVERITIES: Record<vscode.DiagnosticSeverity, Problem['severity']> = { 0: 'error', 1: 'warning', 2: 'info', 3: 'hint' };

/** Every diagnostic VS Code knows of, with workspace-relative paths. */
export function workspaceProblems(): Problem[] {
  return vscode.languages.getDiagnostics().flatMap(([uri, diagnostics]) =>
    diagnostics.map((d) => ({
      file: vscode.workspace.asRelativePath(uri),
      line: d.range.start.line + 1,
      severity: SEVERITIES[d.severity] ?? 'info',
      message: d.message,
      ...(d.source ? { source: d.source } : {}),
    })),
  );
}

export function problemsNow(): ContextAttachment {
  return problemsAttachment(workspaceProblems());
}

/**
 * The instructions file the chat would send (the first of INSTRUCTION_FILES in the first folder, as
 * readInstructions picks it), as the part of the system prompt it becomes. None when absent or blank.
 */
export async function instructionsAttachment(): Promise<ContextAttachment | undefined> {
  const file = await findInstructionFile();
  if (!file) return undefined;
  const { name } = file;
  const label = name.slice(name.lastIndexOf('/') + 1);
  // A refused file still gets its chip, saying why it is not sent: silence would look like it was.
  if ('refused' in file)
    return { kind: 'instructions', label, detail: `${name}: not used, ${file.refused}`, text: '', tokens: 0, note: 'not used' };
  const prompt = systemPrompt([{ source: name, text: file.text }]);
  if (!prompt) return undefined;
  const note =
    file.text.trim().length > MAX_INSTRUCTIONS_CHARS ? `cut at ${MAX_INSTRUCTIONS_CHARS.toLocaleString('en-US')} characters` : undefined;
  return { kind: 'instructions', label, detail: name, text: prompt, tokens: estimateTokens(prompt), ...(note ? { note } : {}) };
}

/**
 * The URIs of a drop: the webview hands over its `text/uri-list` (one URI a line, `#` lines are comments)
 * or plain paths. Anything VS Code cannot read (no file system for its scheme) is logged and skipped.
 */
export function parseDroppedUris(lists: readonly string[], log: vscode.LogOutputChannel): vscode.Uri[] {
  const uris: vscode.Uri[] = [];
  for (const line of lists.flatMap((l) => l.split(/\r?\n/)).map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    if (uris.length >= MAX_DROPPED) {
      log.warn(`Only the first ${MAX_DROPPED} dropped items are attached`);
      break;
    }
    let uri: vscode.Uri | undefined;
    try {
      uri = /^([a-zA-Z]:[\\/]|[\\/])/.test(line) ? vscode.Uri.file(line) : vscode.Uri.parse(line, true);
    } catch {
      uri = undefined;
    }
    // Files only: what the Explorer and editor tabs hand over (a web address would be fetched by VS Code).
    const fileScheme =
      uri &&
      (uri.scheme === 'file' ||
        uri.scheme === 'vscode-remote' ||
        (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === uri.scheme));
    if (uri && fileScheme && vscode.workspace.fs.isWritableFileSystem(uri.scheme) !== undefined) uris.push(uri);
    else log.warn(`Dropped item is not a file VS Code can read: ${line.slice(0, 200)}`);
  }
  return uris;
}

/** One drop attaches at most this many files (the page sends at most this many lines, but it is not trusted). */
const MAX_DROPPED = 100;

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
