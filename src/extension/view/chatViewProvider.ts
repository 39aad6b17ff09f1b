import * as vscode from 'vscode';
import type { HostToWebview } from '../../shared/protocol';
import { Disposable, DisposableStore, toDisposable } from '../../shared/disposable';
import { Emitter } from '../../shared/event';
import { dispatchFromPage, type MessageRouter } from './messageRouter';
import { chatHtml, chatWebviewOptions } from './webviewHtml';

/**
 * Connects the sidebar webview to the router of its messages, and nothing more. Messages are checked
 * here, at the boundary; a hidden view is not posted to (it would drop the message): it gets a snapshot
 * when it is shown again (onDidBecomeVisible).
 */
export class ChatViewProvider extends Disposable implements vscode.WebviewViewProvider {
  static readonly viewId = 'modelChat.chat';
  private view: vscode.WebviewView | undefined;
  /** The listeners of the view resolved last: they go with that view, not with the provider. */
  private viewListeners: DisposableStore | undefined;
  private readonly becameVisible = this.register(new Emitter<void>());
  /** The view was hidden, so it missed what was posted meanwhile. */
  readonly onDidBecomeVisible = this.becameVisible.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly router: Pick<MessageRouter, 'dispatch'>,
  ) {
    super();
    this.register(toDisposable(() => this.viewListeners?.dispose()));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.viewListeners?.dispose();
    const listeners = (this.viewListeners = new DisposableStore());
    this.view = view;
    view.webview.options = chatWebviewOptions(this.extensionUri);
    view.webview.html = chatHtml(view.webview, this.extensionUri);
    listeners.add(view.webview.onDidReceiveMessage((raw: unknown) => dispatchFromPage(raw, this.router, this.log)));
    listeners.add(
      view.onDidChangeVisibility(() => {
        if (view.visible) this.becameVisible.fire();
      }),
    );
    listeners.add(
      view.onDidDispose(() => {
        if (this.view === view) this.view = undefined;
        listeners.dispose();
      }),
    );
  }

  post(message: HostToWebview): void {
    if (this.view?.visible) void this.view.webview.postMessage(message);
  }
}
