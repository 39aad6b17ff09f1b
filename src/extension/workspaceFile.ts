/**
 * Reads a file the extension opens by itself, through boundedFile.ts for files on disk (symlinks resolved,
 * regular files only, size capped, abortable) and through `workspace.fs` for other file systems, where
 * only VS Code's stat is there to check type and size.
 */
import * as vscode from 'vscode';
import { formatBytes, isInside, readBoundedFile, type BoundedRead } from '../shared/boundedFile';

export interface WorkspaceReadOptions {
  maxBytes: number;
  /** The file must resolve inside a workspace folder (a repository's symlink must not reach ~/.ssh). */
  insideWorkspace?: boolean;
  /** Over maxBytes: keep the first maxBytes instead of refusing. */
  truncate?: boolean;
  signal?: AbortSignal;
}

export async function readWorkspaceFile(uri: vscode.Uri, opts: WorkspaceReadOptions): Promise<BoundedRead> {
  if (uri.scheme === 'file') {
    return readBoundedFile(uri.fsPath, {
      maxBytes: opts.maxBytes,
      truncate: opts.truncate,
      signal: opts.signal,
      within: opts.insideWorkspace ? localFolders() : undefined,
    });
  }
  const label = vscode.workspace.asRelativePath(uri);
  let stat: vscode.FileStat;
  try {
    stat = await vscode.workspace.fs.stat(uri);
  } catch (err) {
    if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound')
      return { ok: false, code: 'missing', reason: `${label} does not exist` };
    return { ok: false, code: 'unreadable', reason: `${label} could not be read: ${err instanceof Error ? err.message : String(err)}` };
  }
  // Where a link leads cannot be resolved on a remote file system: it is refused rather than followed.
  if (opts.insideWorkspace && (stat.type & vscode.FileType.SymbolicLink || !vscode.workspace.getWorkspaceFolder(uri))) {
    return { ok: false, code: 'outside', reason: `${label} is a link or outside the workspace` };
  }
  if (!(stat.type & vscode.FileType.File)) return { ok: false, code: 'notRegular', reason: `${label} is not a regular file` };
  if (stat.size > opts.maxBytes && !opts.truncate)
    return { ok: false, code: 'tooLarge', reason: `${label} is larger than ${formatBytes(opts.maxBytes)}` };
  opts.signal?.throwIfAborted();
  const bytes = await vscode.workspace.fs.readFile(uri);
  opts.signal?.throwIfAborted();
  if (bytes.length > opts.maxBytes && !opts.truncate)
    return { ok: false, code: 'tooLarge', reason: `${label} is larger than ${formatBytes(opts.maxBytes)}` };
  return { ok: true, bytes: bytes.subarray(0, opts.maxBytes), truncated: bytes.length > opts.maxBytes, realPath: uri.toString() };
}

/** Whether a URI is inside a workspace folder once symlinks are resolved: a link in the workspace to ~/.ssh is not. */
export async function insideWorkspace(uri: vscode.Uri): Promise<boolean> {
  if (!vscode.workspace.getWorkspaceFolder(uri)) return false;
  if (uri.scheme === 'file') return isInside(uri.fsPath, localFolders());
  // A remote link's target cannot be resolved from here: treat it as possibly outside.
  const stat = await Promise.resolve(vscode.workspace.fs.stat(uri)).catch(() => undefined);
  return !stat || !(stat.type & vscode.FileType.SymbolicLink);
}

function localFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}
