import type { HistoryItem, HostToWebview } from '../../shared/protocol';
import type { ChatSessions } from '../../streaming/chat/chatSessions';
import type { ConversationStore } from '../../history/conversationStore';
import type { ConversationFork, DeletedConversation, StoreProblem } from '../../history/storeTypes';
import { formatBytes, planPrune } from '../../history/storageBound';
import { Latest } from '../../shared/abort';
import { DisposableStore, type IDisposable } from '../../shared/disposable';
import { messageOf } from '../../shared/errors';
import type { Logger } from '../../shared/log';
import type { MessageRouter } from '../view/messageRouter';
import type { Conversation } from '../../history/conversationFormat';
import type { ChatSurfaceEntry, ChatSurfaces } from '../view/chatSurfaces';

export interface HistoryDeps {
  store: ConversationStore;
  sessions: ChatSessions;
  post(message: HostToWebview): void;
  log: Logger;
  reportProblems(problems: StoreProblem[]): void;
  /** Asks the user a yes/no/… question (a VS Code warning message); resolves to the chosen label. */
  ask(message: string, ...choices: string[]): Promise<string | undefined>;
  /** The storage bound in bytes (modelChat.history.maxStorageMB). */
  limitBytes(): number;
  openLimitSetting(): void;
  /**
   * The other places chats are shown (the sidebar, editor tabs): a conversation is opened where it already is
   * or moved from there, never copied; and opened in a new editor tab.
   */
  elsewhere?: { surfaces: ChatSurfaces; entry: ChatSurfaceEntry; openInEditor(conversation: Conversation): void };
}

const UNDO = 'undo:';
const OPEN = 'open:';
/** Deleted conversations kept for Undo: the notice offers it for a few seconds, so a handful is plenty. */
const UNDO_KEEP = 5;

/**
 * The history list in the view: listing, search, open, rename, delete with Undo, and keeping the store
 * under its size bound (asking before deleting anything). Conversations still answering are marked and
 * never deleted or pruned from under their turn.
 */
export class HistoryController {
  /** Deleted conversations that Undo can bring back, by their notice action id. */
  private readonly deleted = new Map<string, DeletedConversation>();
  private lastQuery = '';
  /** Only the newest list is shown: a slower, older scan must not overwrite it, and a search is stopped when the user types on. */
  private readonly lists = new Latest();
  private asking = false;
  private declined = false;

  constructor(private readonly deps: HistoryDeps) {}

  /** The history list's messages from the view. A failed action says so, in the view and the log. */
  registerMessages(router: MessageRouter): IDisposable {
    const task = (what: string, work: Promise<unknown>): void => {
      work.catch((err) => {
        this.deps.log.error(`History ${what} failed: ${messageOf(err)}`);
        this.deps.post({ type: 'notice', text: `That did not work (${what}): ${messageOf(err)}` });
        void this.list().catch(() => {});
      });
    };
    return router.register({
      history: (m) => task('list', this.list(m.query)),
      openConversation: (m) =>
        task(
          'open',
          this.open(m.id).then(() => this.deps.sessions.active.refreshModel()),
        ),
      openInEditor: (m) => task('open in editor', this.openInEditor(m.id)),
      renameConversation: (m) => task('rename', this.rename(m.id, m.title)),
      deleteConversation: (m) => task('delete', this.delete(m.id)),
      noticeAction: (m) => task('undo', this.noticeAction(m.id)),
    });
  }

  /** Keeps the store under its bound as conversations grow, and the list's "answering" marks current. */
  followSessions(): IDisposable {
    const { sessions } = this.deps;
    const store = new DisposableStore();
    // A finished turn may have grown the store past its bound.
    store.add(sessions.onDidEndTurn((e) => e.shown && void this.enforceBound()));
    store.add(
      sessions.onDidChangeBackground(() => {
        void this.enforceBound();
        void this.list().catch(() => {});
      }),
    );
    store.add(sessions.onDidFork((fork) => this.forked(fork)));
    return store;
  }

  /** Says that the chat now is this window's copy, offers the other window's version, and lists both. */
  private forked({ from, title }: ConversationFork): void {
    this.deps.log.warn(`Conversation ${from} was changed by another window; this window's version goes on as “${title}”`);
    this.deps.post({
      type: 'notice',
      text: `Another window changed this conversation; yours is kept as “${title}”.`,
      action: { label: 'Open', id: `${OPEN}${from}` },
    });
    void this.list().catch(() => {});
  }

  async list(query = this.lastQuery): Promise<void> {
    this.lastQuery = query;
    const ticket = this.lists.next();
    const { store, sessions } = this.deps;
    const busy = new Set([
      ...sessions.backgroundIds(),
      ...(sessions.active.busy ? [sessions.active.id] : []),
      ...(this.deps.elsewhere?.surfaces.answering() ?? []),
    ]);
    let items: HistoryItem[];
    if (query.trim()) {
      let found: Awaited<ReturnType<ConversationStore['search']>>;
      try {
        found = await store.search(query, ticket.signal);
      } catch (err) {
        if (ticket.signal.aborted) return; // replaced by a newer query
        throw err;
      }
      const { hits, problems } = found;
      this.deps.reportProblems(problems);
      items = hits.map(({ summary, matches }) => ({ ...item(summary, busy), ...(matches[0] ? { snippet: matches[0].snippet } : {}) }));
    } else {
      const { conversations, problems } = await store.list();
      this.deps.reportProblems(problems);
      items = conversations.map((s) => item(s, busy));
    }
    if (!ticket.isCurrent()) return;
    this.deps.post({ type: 'history', items, query, activeId: sessions.active.isEmpty ? undefined : sessions.active.id });
  }

  async open(id: string): Promise<void> {
    const { elsewhere, sessions } = this.deps;
    // Shown in another place: moved here, unless it is answering there (then that place is revealed).
    const taken = sessions.find(id) ? undefined : elsewhere?.surfaces.take(id, elsewhere.entry);
    if (taken && 'answeringIn' in taken) return;
    const ok = await sessions.open(id, async (wanted) => taken?.conversation ?? this.load(wanted));
    if (!ok) this.deps.post({ type: 'notice', text: 'That conversation could not be opened: it is no longer in the history.' });
  }

  /**
   * Opens conversation `id` in a new editor tab. Shown here or elsewhere it moves (that place shows a new
   * chat); answering, it stays where its answer is being written, which is revealed.
   */
  async openInEditor(id: string): Promise<void> {
    const { elsewhere } = this.deps;
    if (!elsewhere) return;
    const taken = elsewhere.surfaces.take(id);
    if (taken && 'answeringIn' in taken) {
      this.deps.post({ type: 'notice', text: 'That conversation is answering where it is: it can move once the answer is done.' });
      return;
    }
    const conversation = taken?.conversation ?? (await this.load(id));
    if (!conversation) {
      this.deps.post({ type: 'notice', text: 'That conversation could not be opened: it is no longer in the history.' });
      return;
    }
    elsewhere.openInEditor(conversation);
  }

  private async load(id: string): Promise<Conversation | undefined> {
    const { conversation, problems } = await this.deps.store.load(id);
    this.deps.reportProblems(problems);
    return conversation;
  }

  async rename(id: string, title: string): Promise<void> {
    // A live conversation would write its old title back with its next save.
    (this.deps.sessions.find(id) ?? this.deps.elsewhere?.surfaces.locate(id)?.session)?.setTitle(title.trim() || undefined);
    await this.deps.store.rename(id, title);
    await this.list();
  }

  async delete(id: string): Promise<void> {
    const { sessions, store } = this.deps;
    const live = sessions.find(id) ?? this.deps.elsewhere?.surfaces.locate(id)?.session;
    if (live?.busy) {
      this.deps.post({ type: 'notice', text: 'That conversation is still answering: stop it before deleting it.' });
      return this.list(); // the page removed the row already: put it back
    }
    // The shown conversation would be written back by its next save: move to a new chat first.
    if (live && live === sessions.active) sessions.newChat();
    else if (live) this.deps.elsewhere?.surfaces.take(id);
    const deleted = await store.delete(id);
    await this.list();
    if (!deleted) return;
    // Undo may bring it back, from this surface's notice: no other surface's sweep takes its images meanwhile.
    await store.images?.renew(deleted.conversation.messages.flatMap((m) => m.images?.map((i) => i.hash) ?? []));
    const actionId = `${UNDO}${id}`;
    this.deleted.set(actionId, deleted);
    for (const old of [...this.deleted.keys()].slice(0, -UNDO_KEEP)) this.deleted.delete(old);
    this.deps.log.info(`Deleted conversation ${id}`);
    this.deps.post({ type: 'notice', text: `Deleted “${deleted.summary.title}”.`, action: { label: 'Undo', id: actionId } });
  }

  async noticeAction(actionId: string): Promise<void> {
    if (actionId.startsWith(OPEN)) return this.open(actionId.slice(OPEN.length));
    const deleted = this.deleted.get(actionId);
    if (!deleted) return this.deps.log.warn(`No undo for ${actionId} (already used)`);
    this.deleted.delete(actionId);
    await this.deps.store.restore(deleted);
    await this.list();
    this.deps.post({
      type: 'notice',
      text: `Restored “${deleted.summary.title}”.`,
      action: { label: 'Open', id: `${OPEN}${deleted.conversation.id}` },
    });
  }

  /**
   * When the saved conversations outgrow the bound, offers to delete the oldest ones. Asked at most once
   * at a time, and not again in this window after "Not now".
   */
  async enforceBound(): Promise<void> {
    if (this.asking || this.declined) return;
    // Set before the first await: two turns ending together must not ask twice.
    this.asking = true;
    try {
      const { store } = this.deps;
      const limit = this.deps.limitBytes();
      // Images of conversations deleted earlier go first, unasked: nothing in the history has them any more.
      if (store.images) await store.sweepImages(this.keptImages());
      const usage = await store.usage();
      if (usage <= limit) return;
      const { conversations } = await store.list();
      const plan = planPrune(conversations, usage, limit, this.inUse(), {
        bytes: (await store.images?.sizes()) ?? new Map(),
        keep: this.keptImages(),
      });
      if (!plan) return;
      const names =
        plan.titles
          .slice(0, 3)
          .map((t) => `“${t}”`)
          .join(', ') + (plan.titles.length > 3 ? ` and ${plan.titles.length - 3} more` : '');
      const choice = await this.deps.ask(
        `Model Chat's saved conversations use ${formatBytes(usage)}, over the limit of ${formatBytes(limit)}. Delete the ${plan.ids.length} oldest (${names}) to free ${formatBytes(plan.freedBytes)}?`,
        'Delete oldest',
        'Change limit',
        'Not now',
      );
      if (choice === 'Delete oldest') {
        // The prompt may have stayed open a while: never prune what the user has opened since.
        const inUse = this.inUse();
        const pruned = await store.prune(plan.ids.filter((id) => !inUse.has(id)));
        // Then the images only they had; those of shown chats, or of deleted ones Undo may bring back, stay.
        const freedBytes = pruned.freedBytes + (await store.sweepImages(this.keptImages()));
        const { removed } = pruned;
        this.deps.log.info(`Pruned ${removed.length} conversations (${formatBytes(freedBytes)}) to stay under ${formatBytes(limit)}`);
        await this.list();
      } else if (choice === 'Change limit') {
        this.deps.openLimitSetting();
      } else {
        this.declined = true;
      }
    } finally {
      this.asking = false;
    }
  }

  /**
   * Images that stay whatever is pruned: those of the conversations shown or answering (their latest
   * question may not be saved yet) and of deleted ones Undo may still bring back.
   */
  private keptImages(): Set<string> {
    const { sessions, elsewhere } = this.deps;
    const messages = [
      ...[...this.inUse()].flatMap((id) => (sessions.find(id) ?? elsewhere?.surfaces.locate(id)?.session)?.messageList ?? []),
      ...[...this.deleted.values()].flatMap((d) => d.conversation.messages),
    ];
    return new Set(messages.flatMap((m) => m.images?.map((i) => i.hash) ?? []));
  }

  /** Conversations that are shown or still answering: never deleted from under the user. */
  private inUse(): Set<string> {
    return new Set([this.deps.sessions.active.id, ...this.deps.sessions.backgroundIds(), ...(this.deps.elsewhere?.surfaces.inUse() ?? [])]);
  }
}

function item(
  s: { id: string; title: string; updatedAt: number; model?: { endpoint: string; model?: string }; messageCount: number },
  busy: Set<string>,
): HistoryItem {
  return {
    id: s.id,
    title: s.title,
    updatedAt: s.updatedAt,
    ...(s.model?.model ? { model: s.model.model } : {}),
    messageCount: s.messageCount,
    ...(busy.has(s.id) ? { busy: true } : {}),
  };
}
