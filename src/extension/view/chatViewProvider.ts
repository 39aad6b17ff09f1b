import * as vscode from 'vscode';
import { parseWebviewMessage, type HostToWebview, type WebviewToHost } from '../../shared/protocol';
import { chatHtml } from './webviewHtml';

/**
 * Connects the sidebar webview to whoever handles its messages, and nothing more. Messages are checked
 * here, at the boundary; a hidden view is not posted to (it would drop the message): it gets a snapshot
 * from `onVisible` when it is shown again.
 */
export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'modelChat.chat';
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly onMessage: (message: WebviewToHost) => void,
    private readonly onVisible: () => void,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    view.webview.html = chatHtml(view.webview, this.extensionUri);
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const parsed = parseWebviewMessage(raw);
        if (parsed.ok) this.onMessage(parsed.message);
        else this.log.warn(`Ignored a message from the chat view: ${parsed.reason}`);
      }),
      view.onDidChangeVisibility(() => {
        if (view.visible) this.onVisible();
      }),
      view.onDidDispose(() => {
        if (this.view === view) this.view = undefined;
      }),
    );
  }

  post(message: HostToWebview): void {
    if (this.view?.visible) void this.view.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
