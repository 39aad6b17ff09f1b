/**
 * The text a review compares with: the open document's when it has unsaved typing (that is what Accept
 * edits), else the file on disk read the bounded way; `undefined` for a file that does not exist yet. Only
 * files inside the workspace, symlinks resolved: a proposal cannot reach ~/.bashrc through a link.
 */
import * as vscode from 'vscode';
import { insideWorkspace, readWorkspaceFile } from '../workspaceFile';

/** Larger files are not reviewed: the diff editor and a whole-file replace are the wrong tools for them. */
export const MAX_REVIEW_BYTES = 2 * 1024 * 1024;

export class EditRefused extends Error {
  override name = 'EditRefused';
}

export async function readCurrentText(uri: vscode.Uri, signal?: AbortSignal): Promise<string | undefined> {
  if (!(await insideWorkspace(uri))) throw new EditRefused(`${uri.fsPath || uri.toString()} is outside the workspace`);
  // A saved document can lag behind the disk (its file watcher not yet fired): only typing not yet saved is read from it.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open && !open.isClosed && (open.isDirty || open.isUntitled || uri.scheme !== 'file')) return open.getText();
  const read = await readWorkspaceFile(uri, { maxBytes: MAX_REVIEW_BYTES, insideWorkspace: true, signal });
  if (!read.ok) {
    if (read.code === 'missing') return undefined;
    throw new EditRefused(read.reason);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(read.bytes);
  } catch {
    throw new EditRefused(`${vscode.workspace.asRelativePath(uri)} is not a UTF-8 text file`);
  }
}
