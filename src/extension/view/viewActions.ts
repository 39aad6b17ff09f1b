import * as vscode from 'vscode';
import type { HostToWebview } from '../../shared/protocol';
import type { IDisposable } from '../../shared/disposable';
import { insertAtCursor } from '../commands/actions';
import { openLink } from './links';
import type { MessageRouter } from './messageRouter';

export interface ViewActionDeps {
  log: vscode.LogOutputChannel;
  post(message: HostToWebview): void;
  /** A tool card's "Open full result" (McpHost keeps those files). */
  openToolResult(fileId: string): Promise<void>;
}

/** What the page asks of the editor around it: links, the clipboard, the cursor, the log, the model picker. */
export function registerViewActions(router: MessageRouter, deps: ViewActionDeps): IDisposable {
  const { log } = deps;
  return router.register({
    openLink: (m) => void openLink(m.href, { log, notify: (text) => deps.post({ type: 'notice', text }) }),
    copyText: (m) => void vscode.env.clipboard.writeText(m.text),
    insertCode: (m) => void insertAtCursor(m.text),
    openToolResult: (m) => void deps.openToolResult(m.fileId),
    selectModel: () => void vscode.commands.executeCommand('modelChat.selectModel'),
    log: (m) => log[m.level](`[webview] ${m.message}`),
  });
}
