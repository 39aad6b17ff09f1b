/**
 * Conversations on disk ("Nothing lost").
 *
 * The host passes a directory it owns (e.g. `<workspace storage>/conversations`, falling back to global
 * storage). The pieces, one file each:
 *
 *   conversationFormat.ts, storedMessage.ts   the stored shape, its checks, `migrate`, `titleOf`
 *   atomicFile.ts                             temp file + fsync + rename + directory fsync
 *   conversationFiles.ts                      the directory's layout; reading a file, setting a bad one aside
 *   conversationIndex.ts                      `index.json`, the history list's cache, and keeping it right
 *   checkpointer.ts                           when each conversation is written (coalesced, serialised)
 *   this file                                 the public API, and the lock that keeps its operations apart
 *
 * Every write lands whole or not at all; a file that is nonetheless unreadable is moved aside and reported
 * in the `problems` of the call that found it, never dropped and never fatal. Timed checkpoints do not
 * rewrite the index (its stamps make that unnecessary); flush/save and every other operation do.
 *
 * No `vscode` here: the host adapts this to its UI.
 */
import { errorText } from './atomicFile';
import { Checkpointer, DEFAULT_CHECKPOINT_INTERVAL_MS, systemClock } from './checkpointer';
import { assertId, canonical, CONVERSATION_FORMAT_VERSION, markInterrupted, type Conversation, type ConversationFileV1 } from './conversationFormat';
import { ConversationFiles, fileNameOf } from './conversationFiles';
import { ConversationIndex, type ConversationSummary } from './conversationIndex';
import { matchConversation, queryPattern, type SearchHit } from './conversationSearch';
import { Mutex } from './serial';
import type { ConversationStoreOptions, DeletedConversation, ListResult, LoadResult, StoreLogger, StoreProblem } from './storeTypes';

export {
  CONVERSATION_FORMAT_VERSION, migrate, titleOf,
  type Conversation, type ConversationV0, type MigrateResult, type StoredMessage, type StoredMessageState, type StoredModel,
} from './conversationFormat';
export { TOOL_INTERRUPTED } from './storedMessage';
export { DEFAULT_CHECKPOINT_INTERVAL_MS } from './checkpointer';
export { fileNameOf } from './conversationFiles';
export { INDEX_FORMAT_VERSION, type ConversationSummary } from './conversationIndex';
export type { SearchHit, SearchMatch } from './conversationSearch';
export type {
  ConversationStoreOptions, DeletedConversation, ListResult, LoadResult, StoreLogger, StoreProblem, WriteEvent,
} from './storeTypes';

const silentLog: StoreLogger = { info() {}, warn() {}, error() {} };

export class ConversationStore {
  readonly dir: string;
  private readonly log: StoreLogger;
  private readonly files: ConversationFiles;
  private readonly index: ConversationIndex;
  private readonly writes: Checkpointer;
  /** Problems found outside a call that returns problems (e.g. while writing): handed out by the next list(). */
  private unreported: StoreProblem[] = [];
  private readonly mutex = new Mutex();
  private disposed = false;

  constructor(private readonly opts: ConversationStoreOptions) {
    this.dir = opts.dir;
    const clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLog;
    this.files = new ConversationFiles(this.dir, clock, this.log);
    this.index = new ConversationIndex(this.files, this.log);
    this.writes = new Checkpointer({
      clock,
      log: this.log,
      intervalMs: Math.max(0, opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS),
      write: (conversation, revision) => this.writeFile(conversation, revision),
    });
  }

  // ----- writing -------------------------------------------------------------------------------------------

  /**
   * Records the conversation's current state; written at once if the last write of it was at least the
   * checkpoint interval ago, else when the interval ends (with whatever state it has by then). Cheap: call
   * it on every token. Stamps `conversation.updatedAt`. The store keeps a reference and serialises it at
   * write time, so the host must not swap message objects for others mid-answer only to expect old text.
   */
  checkpoint(conversation: Conversation): void {
    this.writes.checkpoint(conversation);
  }

  /**
   * Writes now: the given conversation (stamping `updatedAt`), or with no argument every conversation with
   * a pending checkpoint; then the index. Resolves when it is on disk; rejects if the write failed.
   */
  async flush(conversation?: Conversation): Promise<void> {
    if (!conversation) {
      await this.writes.flushAll();
      await this.updateIndex();
      return;
    }
    await this.writeAndIndex(conversation, true);
  }

  /** Writes a whole conversation now (a new chat, an imported or edited one). Same as `flush(conversation)`. */
  save(conversation: Conversation): Promise<void> {
    return this.flush(conversation);
  }

  /** Resolves once no write is in flight or scheduled to start at once (tests, shutdown). */
  idle(): Promise<void> {
    return this.writes.idle();
  }

  private async writeAndIndex(conversation: Conversation, stamp: boolean): Promise<void> {
    await this.writes.writeNow(conversation, stamp);
    await this.updateIndex();
  }

  /** The checkpointer's write: the file, then the index entry (in memory; written by `updateIndex`). */
  private async writeFile(conversation: Conversation, revision: number): Promise<void> {
    const json = JSON.stringify({ version: CONVERSATION_FORMAT_VERSION, conversation } satisfies ConversationFileV1);
    const stamp = await this.files.write(fileNameOf(conversation.id), json);
    if (this.writes.isDeleted(conversation.id)) return;
    this.index.recordWrite(conversation, stamp);
    try {
      this.opts.onWrite?.({ id: conversation.id, revision, bytes: stamp.size, conversation });
    } catch (err) {
      this.log.warn(`Conversation store: onWrite threw: ${errorText(err)}`);
    }
  }

  /** Writes the index if anything changed, reconciling first if that never happened (never a partial index). */
  private async updateIndex(): Promise<void> {
    if (!this.index.reconciled) {
      const problems: StoreProblem[] = [];
      await this.mutex.run(() => (this.index.reconciled ? Promise.resolve() : this.reconcileLocked(problems)));
      this.unreported.push(...problems);
    }
    await this.index.save();
  }

  private reconcileLocked(problems: StoreProblem[]): Promise<void> {
    return this.index.reconcile(problems, { skip: (id) => this.writes.isDeleted(id), keep: (id) => this.writes.isWriting(id) });
  }

  /** A summary for the conversation as this process last saw it (live state preferred). */
  private summaryOf(id: string): ConversationSummary | undefined {
    const live = this.writes.live(id);
    if (live) {
      try {
        return this.index.summarize(canonical(live));
      } catch {
        // Not storable: fall back to the disk state.
      }
    }
    return this.index.summary(id);
  }

  // ----- reading and managing ------------------------------------------------------------------------------

  /** The history: every conversation's summary, most recent first, plus anything found wrong on the way. */
  list(): Promise<ListResult> {
    return this.mutex.run(async () => {
      const problems = this.takeUnreported();
      try {
        await this.reconcileLocked(problems);
      } catch (err) {
        // The directory itself cannot be read or created: say so, and list what is known.
        this.log.error(`Conversation store: cannot read ${this.dir}: ${errorText(err)}`);
        problems.push({ file: '.', kind: 'unreadable', reason: `(the conversation folder ${this.dir}) cannot be read: ${errorText(err)}` });
      }
      await this.index.save();
      const ids = new Set([...this.index.ids(), ...this.writes.liveIds()]);
      const conversations = [...ids].flatMap((id) => this.summaryOf(id) ?? []).sort((a, b) => b.updatedAt - a.updatedAt);
      return { conversations, problems };
    });
  }

  /**
   * One conversation, or undefined if there is none with that id (or it was unreadable: see `problems`).
   * What was under way when the editor stopped comes back cut off: streaming answers `interrupted`, tool
   * calls that were waiting or running `cancelled` (see `markInterrupted`).
   */
  load(id: string): Promise<LoadResult> {
    assertId(id);
    return this.mutex.run(async () => {
      const problems = this.takeUnreported();
      const live = this.writes.live(id);
      if (live) return { conversation: canonical(live), problems };
      if (this.writes.isDeleted(id)) return { conversation: undefined, problems };
      const { conversation, problem } = await this.files.readConversation(id);
      if (problem) problems.push(problem);
      if (!conversation && problem?.kind !== 'newerVersion') this.index.forget(id);
      return { conversation: conversation && markInterrupted(conversation), problems };
    });
  }

  /** Renames (an empty title goes back to the first question). Does not change `updatedAt`. */
  async rename(id: string, title: string): Promise<ConversationSummary | undefined> {
    assertId(id);
    const trimmed = title.trim();
    let conversation: Conversation | undefined = this.writes.live(id);
    if (!conversation) {
      const loaded = await this.load(id);
      this.unreported.push(...loaded.problems);
      conversation = loaded.conversation;
    }
    if (!conversation) return undefined;
    if (trimmed) conversation.title = trimmed;
    else delete conversation.title;
    await this.writeAndIndex(conversation, false);
    return this.summaryOf(id);
  }

  /** Deletes a conversation; hand the result to `restore` to undo. Undefined when there was none. */
  async delete(id: string): Promise<DeletedConversation | undefined> {
    assertId(id);
    const { deleted } = await this.mutex.run(() => this.removeLocked(id, true));
    await this.updateIndex();
    return deleted;
  }

  /** Undoes a `delete`: writes the conversation back as it was. */
  async restore(deleted: DeletedConversation): Promise<ConversationSummary | undefined> {
    const conversation = canonical(deleted.conversation);
    this.writes.revive(conversation.id);
    await this.writeAndIndex(conversation, false);
    return this.summaryOf(conversation.id);
  }

  /** Deletes these conversations for good (the host asks the user first). */
  async prune(ids: string[]): Promise<{ removed: string[]; freedBytes: number }> {
    ids.forEach(assertId);
    const result = await this.mutex.run(async () => {
      const removed: string[] = [];
      let freedBytes = 0;
      for (const id of ids) {
        const bytes = this.index.summary(id)?.bytes ?? 0;
        if ((await this.removeLocked(id, false)).existed) {
          removed.push(id);
          freedBytes += bytes;
        }
      }
      return { removed, freedBytes };
    });
    await this.updateIndex();
    return result;
  }

  /**
   * Stops any pending write, waits for one in flight, removes the file. With `keep`, also returns the
   * content for undo (the live state if there is one, else what was on disk).
   */
  private async removeLocked(id: string, keep: boolean): Promise<{ existed: boolean; deleted?: DeletedConversation }> {
    // From here on no write of it starts, and the one in flight is waited for.
    const { hadSlot, live } = await this.writes.forget(id);
    let content = keep ? live : undefined;
    if (!content && keep) {
      const { conversation, problem } = await this.files.readConversation(id);
      if (problem) this.unreported.push(problem);
      content = conversation && markInterrupted(conversation);
    }
    let existed: boolean;
    try {
      existed = await this.files.remove(fileNameOf(id));
    } catch (err) {
      this.writes.revive(id);
      throw err;
    }
    // The summary for undo, taken while the index still knows the file's size.
    const summary = content && this.index.summarize(content);
    this.index.forget(id);
    if (!content || !summary) return { existed };
    return { existed: existed || hadSlot, deleted: { conversation: content, summary } };
  }

  /**
   * Conversations whose title or any message contains `query` (case-insensitive), most recent first.
   * Reads every conversation file: meant for a search box, not for every keystroke of a large history.
   */
  async search(query: string, signal?: AbortSignal): Promise<{ hits: SearchHit[]; problems: StoreProblem[] }> {
    const pattern = queryPattern(query);
    const { conversations, problems } = await this.list();
    if (!pattern) return { hits: [], problems };
    const hits: SearchHit[] = [];
    for (const summary of conversations) {
      // A newer query replaces this one: stop reading files for it.
      signal?.throwIfAborted();
      const loaded = await this.load(summary.id);
      problems.push(...loaded.problems);
      if (!loaded.conversation) continue;
      const { inTitle, matches } = matchConversation(loaded.conversation, pattern);
      if (inTitle || matches.length > 0) hits.push({ summary, inTitle, matches });
    }
    return { hits, problems };
  }

  /** Bytes used by the store's directory: conversations, index, files kept aside, unfinished writes. */
  usage(): Promise<number> {
    return this.files.usage();
  }

  /** The `n` least recently updated conversations, oldest first (candidates for `prune`). */
  async oldest(n: number): Promise<ConversationSummary[]> {
    const { conversations, problems } = await this.list();
    this.unreported.push(...problems);
    return conversations.sort((a, b) => a.updatedAt - b.updatedAt).slice(0, Math.max(0, n));
  }

  /** Writes everything pending (checkpoints, the index) and stops the timers. Call on deactivate. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    try {
      await this.flush();
    } finally {
      this.disposed = true;
      this.writes.dispose();
    }
  }

  private takeUnreported(): StoreProblem[] {
    const problems = this.unreported;
    this.unreported = [];
    return problems;
  }
}
