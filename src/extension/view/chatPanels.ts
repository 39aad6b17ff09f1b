import * as vscode from 'vscode';
import type { Conversation } from '../../history/conversationFormat';
import type { ConversationStore } from '../../history/conversationStore';
import { Disposable, DisposableStore, toDisposable } from '../../shared/disposable';
import { Emitter } from '../../shared/event';
import { messageOf } from '../../shared/errors';
import type { ChatSurface, SurfaceTarget } from './chatSurface';
import type { ChatSurfaces } from './chatSurfaces';
import { dispatchFromPage, MessageRouter } from './messageRouter';
import { chatHtml, chatWebviewOptions } from './webviewHtml';

export interface ChatPanelsDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  store: Pick<ConversationStore, 'load'>;
  surfaces: ChatSurfaces;
  /** The controllers for one more surface (the same as the sidebar's). */
  createSurface(target: SurfaceTarget): ChatSurface;
}

/**
 * Chats in editor tabs: each tab is a chat surface of its own with its own conversations, so several
 * answer at once. The page keeps its conversation id in its state; after a window reload VS Code hands
 * that state back (deserializeWebviewPanel) and the tab reopens the stored conversation.
 */
export class ChatPanels extends Disposable implements vscode.WebviewPanelSerializer<unknown> {
  static readonly viewType = 'modelChat.chatEditor';
  private readonly panels = new Set<DisposableStore>();

  constructor(private readonly deps: ChatPanelsDeps) {
    super();
    this.register(
      toDisposable(() => {
        for (const panel of this.panels) panel.dispose();
        this.panels.clear();
      }),
    );
  }

  /** A new tab, with `conversation` or a new chat. */
  open(conversation?: Conversation): void {
    const panel = vscode.window.createWebviewPanel(
      ChatPanels.viewType,
      'New chat',
      vscode.ViewColumn.Active,
      chatWebviewOptions(this.deps.extensionUri),
    );
    this.attach(panel, conversation);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const id = conversationIdOf(state);
    let stored: Conversation | undefined;
    if (id) {
      try {
        stored = (await this.deps.store.load(id)).conversation;
      } catch (err) {
        this.deps.log.error(`Reopening the chat tab's conversation failed: ${messageOf(err)}`);
      }
    }
    // Another place may have opened it meanwhile (the sidebar reopens the latest conversation): moved here.
    const taken = id ? this.deps.surfaces.take(id) : undefined;
    const conversation = taken && 'answeringIn' in taken ? undefined : (taken?.conversation ?? stored);
    this.deps.log.info(
      `Chat tab brought back: ${id ? `conversation ${id}${conversation ? '' : ' (not found: a new chat)'}` : 'no conversation in its state'}`,
    );
    this.attach(panel, conversation);
  }

  private attach(panel: vscode.WebviewPanel, conversation: Conversation | undefined): void {
    const { log, extensionUri } = this.deps;
    const store = new DisposableStore();
    this.panels.add(store);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.options = chatWebviewOptions(extensionUri);
    const router = new MessageRouter(log);
    const becameVisible = store.add(new Emitter<void>());
    const surface = store.add(
      this.deps.createSurface({
        router,
        // A hidden tab's page is gone (it is rebuilt, and asks for a snapshot, when shown again).
        post: (message) => panel.visible && void panel.webview.postMessage(message),
        onDidBecomeVisible: becameVisible.event,
        reveal: () => panel.reveal(),
      }),
    );
    const { sessions } = surface;
    if (conversation) sessions.active.restore(conversation);
    // The tab is named after the conversation it shows, which changes with its first question or a rename.
    const retitle = () => (panel.title = sessions.active.displayTitle);
    retitle();
    store.add(sessions.onDidEndTurn((e) => e.shown && retitle()));
    store.add(sessions.onDidResetMessages(retitle));
    store.add(sessions.onDidChangeActive(retitle));
    store.add(router.on('renameConversation', () => queueMicrotask(retitle)));
    let wasVisible = panel.visible;
    store.add(
      panel.onDidChangeViewState(() => {
        if (panel.visible && !wasVisible) becameVisible.fire();
        wasVisible = panel.visible;
        retitle();
      }),
    );
    store.add(panel.webview.onDidReceiveMessage((raw: unknown) => dispatchFromPage(raw, router, log)));
    panel.webview.html = chatHtml(panel.webview, extensionUri);
    store.add(
      panel.onDidDispose(() => {
        this.panels.delete(store);
        store.dispose();
      }),
    );
  }
}

/** The page's state is the page's: only a plausible id is taken from it. */
function conversationIdOf(state: unknown): string | undefined {
  const id = (state as { conversationId?: unknown } | undefined)?.conversationId;
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : undefined;
}
