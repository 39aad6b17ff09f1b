/** The workspace as the tools see it: local folders only (ripgrep and the path checks need a disk). */
import * as vscode from 'vscode';
import type { WorkspaceFolderPath } from '../../tools/workspace/workspacePaths';

export function localFolders(): WorkspaceFolderPath[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .map((f) => ({ name: f.name, path: f.uri.fsPath }));
}

/**
 * Globs never searched or listed: files.exclude and search.exclude set to true (a `{ when }` condition
 * needs a sibling check ripgrep cannot make, so those entries are left to .gitignore).
 */
export function excludeGlobs(folder: vscode.Uri | undefined): string[] {
  const globs = new Set<string>();
  for (const section of ['files.exclude', 'search.exclude']) {
    const value = vscode.workspace.getConfiguration(undefined, folder).get<Record<string, unknown>>(section) ?? {};
    for (const [glob, on] of Object.entries(value)) if (on === true) globs.add(glob);
  }
  return [...globs];
}

export function useIgnoreFiles(folder: vscode.Uri | undefined): boolean {
  return vscode.workspace.getConfiguration('search', folder).get<boolean>('useIgnoreFiles', true);
}
