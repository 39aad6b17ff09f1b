/**
 * The built-in workspace tools, a tool source beside the MCP servers (tools/toolSources.ts combines them):
 * the handlers that need VS Code, the approval setting, workspace trust (Restricted Mode: read-only
 * tools only) and `modelChat.tools.workspace.enabled`, which only the user's settings can turn on.
 */
import * as vscode from 'vscode';
import type { Logger } from '../../shared/log';
import type { ApprovalSetting } from '../../tools/approval';
import { WorkspaceToolSupport } from '../../tools/workspace/workspaceToolSupport';
import { workspaceToolSettingValues } from '../settings/settingOwnership';
import { runCommand } from './commandTool';
import { proposeEdit, type EditProposer } from './editTool';
import { fileToolHandlers } from './fileTools';
import { getProblems } from './problemsTool';

const ALWAYS_KEY = 'modelChat.tools.workspace.alwaysAllowed';

export function createWorkspaceTools(deps: {
  workspaceState: vscode.Memento;
  log: Logger;
  approval(): ApprovalSetting;
  edits: EditProposer;
}): WorkspaceToolSupport {
  const { workspaceState, log } = deps;
  return new WorkspaceToolSupport({
    handlers: {
      ...fileToolHandlers(),
      get_problems: getProblems,
      propose_edit: proposeEdit(deps.edits),
      run_command: runCommand(log),
    },
    approval: deps.approval,
    trusted: () => vscode.workspace.isTrusted,
    enabledValues: () => workspaceToolSettingValues(vscode.workspace.getConfiguration('modelChat').inspect('tools.workspace.enabled')),
    alwaysAllowed: () => new Set(workspaceState.get<string[]>(ALWAYS_KEY, [])),
    rememberAlwaysAllowed: (name) =>
      void workspaceState.update(ALWAYS_KEY, [...new Set([...workspaceState.get<string[]>(ALWAYS_KEY, []), name])]),
  });
}
