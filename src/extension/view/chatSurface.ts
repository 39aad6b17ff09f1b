import type * as vscode from 'vscode';
import type { HostToWebview } from '../../shared/protocol';
import type { Conversation } from '../../history/conversationFormat';
import type { ConversationStore } from '../../history/conversationStore';
import type { StoreProblem } from '../../history/storeTypes';
import { ChatSessions, type SessionsDeps } from '../../streaming/chat/chatSessions';
import { race } from '../../shared/abort';
import { DisposableStore, type IDisposable } from '../../shared/disposable';
import { messageOf } from '../../shared/errors';
import type { Event } from '../../shared/event';
import { batchedPost } from '../chat/batchedPost';
import { ChatController } from '../chat/chatController';
import type { ContextAttachment } from '../../streaming/chat/contextPrompt';
import type { ContextController } from '../context/contextController';
import type { ElicitationView } from '../mcp/elicitation';
import type { Edits } from '../edits/edits';
import { HistoryController } from '../history/historyController';
import type { MessageRouter } from './messageRouter';
import { SetupController } from './setupController';
import { registerViewActions } from './viewActions';
import { stopAll, type ChatSurfaces, type ChatSurfaceEntry } from './chatSurfaces';
import type { ToolsMenuView } from '../mcp/toolsMenuController';

/** What every chat surface shares: the window's settings, models, tools, store, and the chips of every chat. */
export interface SurfaceShared {
  log: vscode.LogOutputChannel;
  store: ConversationStore;
  surfaces: ChatSurfaces;
  session: Omit<SessionsDeps, 'post' | 'log' | 'persist'>;
  setup: Pick<ConstructorParameters<typeof SetupController>[0], 'config' | 'providerFor'>;
  contextChips: ContextController;
  limitTokens(): number | undefined;
  openToolResult(fileId: string): Promise<void>;
  reportProblems(problems: StoreProblem[]): void;
  ask(message: string, ...choices: string[]): Promise<string | undefined>;
  limitBytes(): number;
  openLimitSetting(): void;
  /** Opens a conversation (new when undefined) in a new editor tab. */
  openInEditor(conversation?: Conversation): void;
  /** The tools menu of each surface (which tools its conversation offers). */
  attachToolsMenu?(view: ToolsMenuView): IDisposable;
  /** Apply, the review of proposed changes, and undoing an answer's changes. */
  edits: Edits;
  /** MCP prompts (`/` commands) and resource links, per page; what they attach goes to that page's chat. */
  mcpMessages?(router: MessageRouter, post: (message: HostToWebview) => void, attach: (items: AttachItems) => void): IDisposable[];
  /** MCP servers' requests for input, shown in the chat whose tool call asked. */
  attachElicitations?(view: ElicitationView): IDisposable;
}

type AttachItems = ReadonlyArray<{ id: string; attachment: ContextAttachment }>;

/** How long closing a tab waits for its answers to end after Stop (the provider's abort is usually immediate). */
const CLOSE_WAIT_MS = 5_000;

/** Where one chat is shown: the sidebar view or an editor tab. */
export interface SurfaceTarget {
  router: MessageRouter;
  /** To the page; dropped while it is not there to listen. */
  post(message: HostToWebview): void;
  /** The page missed what was posted while hidden. */
  onDidBecomeVisible: Event<void>;
  /** The user came to this surface (its tab became active, the view was shown). */
  onDidFocus?: Event<void>;
  reveal(): void;
}

/** The controllers of one surface, posting to its page and answering its messages. */
export interface ChatSurface extends IDisposable {
  sessions: ChatSessions;
  chat: ChatController;
  setup: SetupController;
  history: HistoryController;
  entry: ChatSurfaceEntry;
  /** Every batched post to this surface's page. */
  post(message: HostToWebview): void;
  /**
   * Stops what this surface is answering and waits (bounded) for those answers to be saved as stopped, so
   * closing a tab loses nothing; then disposes.
   */
  close(): Promise<void>;
}

/**
 * The same controllers for every surface, each set bound to its own page and its own conversations, so every
 * guarantee of the sidebar (the update cap per conversation, batching, the router's checks) holds in each tab.
 */
export function createChatSurface(shared: SurfaceShared, target: SurfaceTarget): ChatSurface {
  const { log, store, surfaces, contextChips } = shared;
  const disposables = new DisposableStore();
  const post = batchedPost(target.post);
  const sessions = disposables.add(new ChatSessions({ ...shared.session, persist: store, post, log }));
  // The chips are the shown conversation's: they follow it to another surface, and New chat starts without them.
  const context = contextChips.forChat(() => sessions.active.id);
  const entry: ChatSurfaceEntry = {
    sessions,
    context,
    reveal: target.reveal,
    modelChanged: () => {
      void setup.check();
      chat.modelChanged();
    },
  };
  const history = new HistoryController({
    store,
    sessions,
    post,
    log,
    reportProblems: shared.reportProblems,
    ask: shared.ask,
    limitBytes: shared.limitBytes,
    openLimitSetting: shared.openLimitSetting,
    elsewhere: { surfaces, entry, openInEditor: shared.openInEditor },
  });
  const chat = disposables.add(new ChatController({ sessions, context, store, limitTokens: shared.limitTokens, post, log }));
  const setup = disposables.add(new SetupController({ ...shared.setup, sessions, post, log }));
  const { router } = target;
  // `ready` goes to all three, in this order: the empty state, the conversation, the context bar.
  disposables.add(setup.registerMessages(router));
  disposables.add(chat.registerMessages(router));
  disposables.add(history.registerMessages(router));
  disposables.add(context.registerMessages(router));
  for (const d of shared.mcpMessages?.(router, post, (items) => context.addAttachments(items)) ?? []) disposables.add(d);
  disposables.add(registerViewActions(router, { log, post, openToolResult: shared.openToolResult }));
  disposables.add(shared.edits.registerSurface({ router, post, conversationId: () => sessions.active.id }));
  disposables.add(history.followSessions());
  if (shared.attachToolsMenu) disposables.add(shared.attachToolsMenu({ post, sessions, router }));
  // After the chat's `ready` handler: a reloaded page gets its open forms back after the conversation they belong in.
  if (shared.attachElicitations)
    disposables.add(shared.attachElicitations({ post, sessions, router, focused: () => surfaces.current() === entry }));
  disposables.add(target.onDidBecomeVisible(() => chat.showAgain()));
  disposables.add(surfaces.add(entry));
  // The page took the focus, or sent or attached: the user is there, even when several surfaces are on screen at once.
  for (const type of ['focused', 'send', 'addContext', 'dropFiles', 'toggleContext', 'removeContext'] as const)
    disposables.add(router.on(type, () => surfaces.focus(entry)));
  if (target.onDidFocus) disposables.add(target.onDidFocus(() => surfaces.focus(entry)));
  const dispose = () => disposables.dispose();
  const close = async () => {
    try {
      await race(stopAll(sessions), AbortSignal.timeout(CLOSE_WAIT_MS));
    } catch (err) {
      log.warn(`Closing a chat: its answers did not end in time (${messageOf(err)})`);
    }
    dispose();
  };
  return { sessions, chat, setup, history, entry, post, close, dispose };
}
