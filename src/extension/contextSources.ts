/**
 * Where the context chips' contents come from in the editor: files (an open document's buffer, else the
 * disk), the selection, the active file, the diagnostics and the workspace's instructions file. Each
 * returns a ContextAttachment (src/streaming/contextPrompt.ts decides what the model sees) or a reason.
 */
import * as vscode from 'vscode';
import { fileAttachment, problemsAttachment, selectionAttachment, textFileAttachment, estimateTokens, type ContextAttachment, type Problem, type Refusal } from '../streaming/contextPrompt';
import { INSTRUCTION_FILES, MAX_INSTRUCTIONS_CHARS, systemPrompt } from '../streaming/instructions';

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
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.type & vscode.FileType.Directory) return { ok: false, reason: `${detail} is a folder; only files can be attached.` };
    // Devices, pipes and sockets stat as neither file nor folder: reading /dev/zero would never end.
    if (!(stat.type & vscode.FileType.File)) return { ok: false, reason: `${detail} is not a regular file; only files can be attached.` };
    if (stat.size > MAX_FILE_BYTES) return { ok: false, reason: `${label} is too large to attach (${mib(stat.size)} MiB; the limit is ${mib(MAX_FILE_BYTES)} MiB).` };
    return fileAttachment({ label, detail, bytes: await vscode.workspace.fs.readFile(uri), kind });
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
  return textFileAttachment({ label: baseName(document.uri), detail: vscode.workspace.asRelativePath(document.uri), text: document.getText(), languageId: document.languageId, kind: 'activeFile' });
}

const SEVERITIES: Record<vscode.DiagnosticSeverity, Problem['severity']> = { 0: 'error', 1: 'warning', 2: 'info', 3: 'hint' };

/** Every diagnostic VS Code knows of, with workspace-relative paths. */
export function workspaceProblems(): Problem[] {
  return vscode.languages.getDiagnostics().flatMap(([uri, diagnostics]) =>
    diagnostics.map((d) => ({ file: vscode.workspace.asRelativePath(uri), line: d.range.start.line + 1, severity: SEVERITIES[d.severity] ?? 'info', message: d.message, ...(d.source ? { source: d.source } : {}) })),
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
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return undefined;
  for (const name of INSTRUCTION_FILES) {
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, name)));
    } catch {
      continue; // not there: try the next one
    }
    const prompt = systemPrompt([{ source: name, text }]);
    if (!prompt) return undefined;
    const note = text.trim().length > MAX_INSTRUCTIONS_CHARS ? `cut at ${MAX_INSTRUCTIONS_CHARS.toLocaleString('en-US')} characters` : undefined;
    return { kind: 'instructions', label: name.slice(name.lastIndexOf('/') + 1), detail: name, text: prompt, tokens: estimateTokens(prompt), ...(note ? { note } : {}) };
  }
  return undefined;
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
    const fileScheme = uri && (uri.scheme === 'file' || uri.scheme === 'vscode-remote' || (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === uri.scheme));
    if (uri && fileScheme && vscode.workspace.fs.isWritableFileSystem(uri.scheme) !== undefined) uris.push(uri);
    else log.warn(`Dropped item is not a file VS Code can read: ${line.slice(0, 200)}`);
  }
  return uris;
}

/** One drop attaches at most this many files (the page sends at most this many lines, but it is not trusted). */
const MAX_DROPPED = 100;

/** Whether a URI is inside one of the workspace's folders. */
export function inWorkspace(uri: vscode.Uri): boolean {
  return vscode.workspace.getWorkspaceFolder(uri) !== undefined;
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
