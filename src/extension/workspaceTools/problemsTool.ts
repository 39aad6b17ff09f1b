/** get_problems: VS Code's diagnostics (compilers, linters) for the workspace's files, errors first, capped. */
import * as vscode from 'vscode';
import { CappedText } from '../../tools/workspace/cappedText';
import { resolveWorkspacePath } from '../../tools/workspace/workspacePaths';
import type { WorkspaceToolHandler } from '../../tools/workspace/workspaceToolSupport';
import { localFolders } from './workspaceFolders';

const MAX_PROBLEMS = 200;
const MAX_BYTES = 32 * 1024;
const SEVERITY = ['error', 'warning', 'info', 'hint'];

export const getProblems: WorkspaceToolHandler = async (args) => {
  let only: string | undefined;
  if (typeof args.path === 'string') {
    const where = await resolveWorkspacePath(args.path, localFolders());
    if (!where.ok) return { outcome: 'toolError', text: where.error };
    only = vscode.Uri.file(where.absolute).toString();
  }
  const maxSeverity = args.includeWarnings === false ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  const rows: Array<{ severity: number; line: string }> = [];
  for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
    // Only the workspace's own files: diagnostics of an open file elsewhere are not the model's to see.
    if ((only && uri.toString() !== only) || !vscode.workspace.getWorkspaceFolder(uri)) continue;
    const path = vscode.workspace.asRelativePath(uri);
    for (const d of diagnostics) {
      if (d.severity > maxSeverity) continue;
      const source = d.source
        ? ` [${d.source}${d.code !== undefined ? ` ${typeof d.code === 'object' ? d.code.value : d.code}` : ''}]`
        : '';
      rows.push({
        severity: d.severity,
        line: `${path}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${SEVERITY[d.severity]}: ${d.message.split('\n')[0]}${source}`,
      });
    }
  }
  if (!rows.length) return { text: only ? `No problems in ${args.path as string}.` : 'No problems in the workspace.' };
  rows.sort((a, b) => a.severity - b.severity);
  const out = new CappedText(MAX_BYTES);
  for (const row of rows.slice(0, MAX_PROBLEMS)) if (!out.push(`${row.line}\n`)) break;
  const shown = out.text().split('\n').filter(Boolean).length;
  return {
    text: `${rows.length} problem${rows.length === 1 ? '' : 's'}${shown < rows.length ? ` (first ${shown} shown)` : ''}:\n${out.text()}`,
  };
};
