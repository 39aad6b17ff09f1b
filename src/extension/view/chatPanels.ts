import * as vscode from 'vscode';
import type { Conversation } from '../../history/conversationFormat';
import type { ConversationStore } from '../../history/conversationStore';
import { Disposable, DisposableStore, toDisposable } from '../../shared/disposable';
import { Emitter } from '../../shared/event';
import type { HostToWebview } from '../../shared/protocol';
import { messageOf } from '../../shared/errors';
import type { ChatSurface, SurfaceTarget } from './chatSurface';
import type { ChatSurfaceEntry, ChatSurfaces } from './chatSurfaces';
import { dispatchFromPage, MessageRouter } from './messageRouter';
import { chatHtml, chatWebviewOptions } from './webviewHtml';

export interface ChatPanelsDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  store: Pick<ConversationStore, 'load'>;
  surfaces: ChatSurfaces;
  /** Where the conversations shown in tabs are remembered: a file on the extension host's disk (fileMemento.ts). */
  memory: Pick<vscode.Memento, 'get' | 'update'>;
  /** The controllers for one more surface (the same as the sidebar's). */
  createSurface(target: SurfaceTarget): ChatSurface;
}

const MEMORY_KEY = 'modelChat.editorChats';

/**
 * Chats in editor tabs: each tab is a chat surface of its own with its own conversations, so several
 * answer at once. After a window reload VS Code hands each tab's page state back (deserializeWebviewPanel)
 * and the tab reopens the conversation named there. That state is only as fresh as the workbench's last
 * save of its editors, which a reload can miss (a tab then came back without an id, empty): so the host also
 * remembers the tabs' conversations itself, written as they change, and a tab whose state names none takes
 * the first remembered one no other tab has taken.
 */
export class ChatPanels extends Disposable implements vscode.WebviewPanelSerializer<unknown> {
  static readonly viewType = 'modelChat.chatEditor';
  private readonly panels = new Map<DisposableStore, ChatSurface>();
  private readonly tabs = new Map<ChatSurfaceEntry, vscode.WebviewPanel>();
  /** The conversations the tabs showed when the window was last open, not yet taken back by a tab. */
  private readonly unclaimed: string[];

  constructor(private readonly deps: ChatPanelsDeps) {
    super();
    const remembered = deps.memory.get<unknown>(MEMORY_KEY);
    this.unclaimed = Array.isArray(remembered) ? remembered.filter((id): id is string => isConversationId(id)) : [];
    this.register(
      toDisposable(() => {
        for (const panel of this.panels.keys()) panel.dispose();
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
    // Claimed before any await: the tabs are brought back concurrently and each must get its own.
    const named = conversationIdOf(state);
    const id = named ?? this.unclaimed[0];
    const at = id ? this.unclaimed.indexOf(id) : -1;
    if (at >= 0) this.unclaimed.splice(at, 1);
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
      `Chat tab brought back: ${id ? `conversation ${id}${named ? '' : ' (remembered by the host)'}${conversation ? '' : ' (not found: a new chat)'}` : 'no conversation'}`,
    );
    this.attach(panel, conversation);
  }

  private attach(panel: vscode.WebviewPanel, conversation: Conversation | undefined): void {
    const { log, extensionUri } = this.deps;
    const store = new DisposableStore();
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.options = chatWebviewOptions(extensionUri);
    const router = new MessageRouter(log);
    const becameVisible = store.add(new Emitter<void>());
    const focused = store.add(new Emitter<void>());
    // A closed tab's answers are still being stopped: nothing is posted to its page, which is gone.
    let closed = false;
    let retitleSoon = () => {};
    const surface = store.add(
      this.deps.createSurface({
        router,
        // A hidden tab's page is gone (it is rebuilt, and asks for a snapshot, when shown again).
        post: (message) => {
          // A question shown names a new conversation: the tab takes that name as it is asked, not when answered.
          if (asksQuestion(message)) retitleSoon();
          if (!closed && panel.visible) void panel.webview.postMessage(message);
        },
        onDidBecomeVisible: becameVisible.event,
        onDidFocus: focused.event,
        reveal: () => panel.reveal(),
      }),
    );
    this.panels.set(store, surface);
    this.tabs.set(surface.entry, panel);
    store.add(toDisposable(() => this.tabs.delete(surface.entry)));
    const { sessions } = surface;
    if (conversation) sessions.active.restore(conversation);
    // The tab is named after the conversation it shows, which changes with its first question or a rename.
    const retitle = () => {
      if (closed) return;
      panel.title = sessions.active.displayTitle;
      this.remember();
    };
    retitle();
    retitleSoon = () => queueMicrotask(retitle);
    store.add(sessions.onDidEndTurn((e) => e.shown && retitle()));
    store.add(sessions.onDidResetMessages(retitle));
    store.add(sessions.onDidChangeActive(retitle));
    store.add(router.on('renameConversation', () => queueMicrotask(retitle)));
    let wasVisible = panel.visible;
    store.add(
      panel.onDidChangeViewState(() => {
        if (panel.visible && !wasVisible) becameVisible.fire();
        wasVisible = panel.visible;
        if (panel.active) focused.fire();
        retitle();
      }),
    );
    store.add(panel.webview.onDidReceiveMessage((raw: unknown) => dispatchFromPage(raw, router, log)));
    panel.webview.html = chatHtml(panel.webview, extensionUri);
    if (panel.active) focused.fire();
    // Closing the tab stops its answers (kept as stopped in history); the window closing does not come here.
    store.add(
      panel.onDidDispose(() => {
        closed = true;
        this.panels.delete(store);
        this.remember();
        void surface.close().finally(() => store.dispose());
      }),
    );
  }

  /** Closes the tab showing `entry` (its conversation moved elsewhere). */
  close(entry: ChatSurfaceEntry): void {
    this.tabs.get(entry)?.dispose();
  }

  /** Writes which conversations the tabs show, for the next window (see the class comment). */
  private remember(): void {
    // Tabs not brought back yet (a hidden tab is revived when first shown) keep their place.
    const ids = [...[...this.panels.values()].map((s) => s.sessions.active.id), ...this.unclaimed];
    const before = this.deps.memory.get<unknown>(MEMORY_KEY);
    if (JSON.stringify(before) === JSON.stringify(ids)) return;
    this.deps.memory
      .update(MEMORY_KEY, ids)
      .then(undefined, (err: unknown) => this.deps.log.warn(`Remembering the chat tabs failed: ${messageOf(err)}`));
  }
}

/** Whether a post to the page shows a new question (alone or in a batch). */
function asksQuestion(message: HostToWebview): boolean {
  if (typeof message === 'string') return false;
  if (message.type === 'messageAdded') return message.message.role === 'user';
  return message.type === 'batch' && message.messages.some(asksQuestion);
}

/** The page's state is the page's: only a plausible id is taken from it. */
function conversationIdOf(state: unknown): string | undefined {
  const id = (state as { conversationId?: unknown } | undefined)?.conversationId;
  return isConversationId(id) ? id : undefined;
}

function isConversationId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 200;
}
