/** What the buttons under an error and in the empty state do, and Insert at cursor on a code block. */
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { ErrorAction } from '../../shared/protocol';
import type { ChatSession } from '../../streaming/chat/chatSession';
import { isPullableModelName } from './ollamaPullName';

export async function insertAtCursor(text: string): Promise<void> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) {
    void vscode.window.showInformationMessage('Open a file to insert the code into.');
    return;
  }
  await editor.edit((edit) => {
    for (const selection of editor.selections) edit.replace(selection, text);
  });
  await vscode.window.showTextDocument(editor.document, editor.viewColumn);
}

export async function runErrorAction(
  session: ChatSession,
  messageId: string,
  index: number,
  log: vscode.LogOutputChannel,
  from: 'error' | 'note' = 'error',
): Promise<void> {
  const action = from === 'note' ? session.noteAction(messageId, index) : session.errorAction(messageId, index);
  if (!action) return log.warn(`No error action ${index} on message ${messageId}`);
  if (action.kind === 'retry') {
    session.retry(messageId);
    return;
  }
  return runAction(session, action, log);
}

/** An error's or the empty state's button. Retry from the empty state checks the endpoint again. */
export async function runAction(session: ChatSession, action: ErrorAction, log: vscode.LogOutputChannel): Promise<void> {
  switch (action.kind) {
    case 'retry':
      await session.refreshModel();
      return;
    case 'showLog':
      return log.show();
    case 'selectModel':
      await vscode.commands.executeCommand('modelChat.selectModel');
      return;
    case 'setApiKey':
      await vscode.commands.executeCommand('modelChat.setApiKey');
      return;
    case 'useBuiltIn':
      await vscode.commands.executeCommand('modelChat.useBuiltIn');
      return;
    case 'addModel':
      await vscode.commands.executeCommand('modelChat.addModel');
      return;
    case 'downloadModel':
      await vscode.commands.executeCommand('modelChat.downloadSuggestedModel', action.model);
      return;
    case 'pickModelFile':
      await vscode.commands.executeCommand('modelChat.pickModelFile');
      return;
    case 'openSettings':
      await vscode.commands.executeCommand('workbench.action.openSettings', action.setting);
      return;
    case 'compact':
      if (!session.compact()) log.warn('Compact ignored: a turn is running or nothing is older than the last question');
      return;
    case 'pullModel': {
      // The name can come from a workspace's defaultModel and goes into a shell: only a plain library name,
      // so the repository chooses neither the registry nor anything the shell would read.
      if (!isPullableModelName(action.model)) {
        log.warn(`Not running ollama pull for a model name that is not a plain Ollama library name: ${action.model.slice(0, 200)}`);
        void vscode.window.showWarningMessage(
          `Model Chat only pulls plain Ollama library names (like qwen3 or user/model:tag); “${action.model.slice(0, 80)}” names another registry or is not a model name. Run ollama pull yourself if you trust it.`,
        );
        return;
      }
      // Not in the workspace: a cloned repository's files must not shape how the command starts.
      const terminal = vscode.window.createTerminal({ name: 'Ollama', cwd: homedir() });
      terminal.show();
      terminal.sendText(`ollama pull ${action.model}`);
      return;
    }
  }
}
