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
 *   fileLock.ts, conversationMerge.ts         another process writing the same file (another window)
 *   this file                                 the public API, and the lock that keeps its operations apart
 *
 * Every write lands whole or not at all; a file that is nonetheless unreadable is moved aside and reported
 * in the `problems` of the call that found it, never dropped and never fatal. Timed checkpoints do not
 * rewrite the index (its stamps make that unnecessary); flush/save and every other operation do.
 *
 * Two windows with no folder open share one directory. A write holds the file's lock (`fileLock.ts`) while it
 * checks that the file is still the one this process last read or wrote (its `writeId`); if another process
 * wrote it since, the two versions are merged when one extends the other, and otherwise ours becomes a new
 * conversation, "<title> (other window)", which this process's later writes of it go to; `onDidFork` tells
 * the host, which goes on under the copy's id.
 *
 * No `vscode` here: the host adapts this to its UI.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { errorText, sameStamp, stampOf, type Stamp } from './atomicFile';
import { Checkpointer, DEFAULT_CHECKPOINT_INTERVAL_MS, systemClock } from './checkpointer';
import {
  assertId,
  canonical,
  CONVERSATION_FORMAT_VERSION,
  markInterrupted,
  titleOf,
  type Conversation,
  type ConversationFile,
} from './conversationFormat';
import { ConversationFiles, fileNameOf } from './conversationFiles';
import { ConversationIndex, imagesOf, type ConversationSummary } from './conversationIndex';
import { mergeConversations } from './conversationMerge';
import { matchConversation, queryPattern, type SearchHit } from './conversationSearch';
import { Mutex } from './serial';
import type { ConversationFork, ConversationStoreOptions, DeletedConversation, ListResult, LoadResult, StoreProblem } from './storeTypes';
import { Emitter } from '../shared/event';
import { silentLogger, type Logger } from '../shared/log';
import { StoreImages } from './storeImages';

export class ConversationStore {
  readonly dir: string;
  private readonly log: Logger;
  readonly images: StoreImages | undefined; // counted by the storage bound, with `opts.images`
  private readonly files: ConversationFiles;
  private readonly index: ConversationIndex;
  private readonly writes: Checkpointer;
  /** Problems found outside a call that returns problems (e.g. while writing): handed out by the next list(). */
  private unreported: StoreProblem[] = [];
  private readonly mutex = new Mutex();
  private disposed = false;
  /** Per file id, the version this process last read or wrote; absent: merge with whatever is there. */
  private readonly bases = new Map<string, { writeId: string; stamp: Stamp; rev: number }>();
  /** Conversations whose writes go to a copy since another window took them elsewhere: host id → copy. */
  private readonly forks = new Map<string, { id: string; title: string }>();
  private readonly didFork = new Emitter<ConversationFork>();
  /**
   * A conversation written through `checkpoint`/`flush` went on as a copy (see the header). Fired once the
   * copy is on disk; its pending state already moved to the copy's id, so the host should write it under
   * that id from now on, and show the other window's version under the old one.
   */
  readonly onDidFork = this.didFork.event;

  constructor(private readonly opts: ConversationStoreOptions) {
    this.dir = opts.dir;
    const clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.images = opts.images && new StoreImages(opts.images, clock, this.log);
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

  /** The checkpointer's write: the file (see the header), then the index entry (in memory; written by `updateIndex`). */
  private async writeFile(conversation: Conversation, revision: number): Promise<void> {
    const fork = this.forks.get(conversation.id);
    const ours = fork ? { ...conversation, id: fork.id, title: fork.title } : conversation;
    const { written, stamp } = await this.files.withLock(fileNameOf(ours.id), () => this.writeChecked(conversation.id, ours));
    if (this.writes.isDeleted(conversation.id)) return;
    this.index.recordWrite(written, stamp);
    try {
      this.opts.onWrite?.({ id: written.id, revision, bytes: stamp.size, conversation: written });
    } catch (err) {
      this.log.warn(`Conversation store: onWrite threw: ${errorText(err)}`);
    }
    if (written.id !== ours.id) this.forked({ from: conversation.id, to: written.id, title: titleOf(written) });
  }

  private forked(fork: ConversationFork): void {
    this.writes.move(fork.from, fork.to, fork.title);
    try {
      this.didFork.fire(fork);
    } catch (err) {
      this.log.warn(`Conversation store: an onDidFork listener threw: ${errorText(err)}`);
    }
  }

  /** Under the file's lock: writes `ours`, or what keeps both it and another process's newer write. */
  private async writeChecked(hostId: string | undefined, ours: Conversation): Promise<{ written: Conversation; stamp: Stamp }> {
    const base = this.bases.get(ours.id);
    let rev: number;
    let unchanged = false;
    if (base) {
      try {
        unchanged = sameStamp(base.stamp, stampOf(await fs.stat(this.files.pathOf(fileNameOf(ours.id)))));
      } catch {
        // Gone or unreadable: the read below says which.
      }
    }
    let toWrite = ours;
    let settled = true;
    if (!unchanged) {
      const disk = await this.files.readConversation(ours.id);
      // A newer format's file is reported by list(), not on every checkpoint.
      if (disk.problem && disk.problem.kind !== 'newerVersion') this.unreported.push(disk.problem);
      rev = disk.rev ?? 0;
      if (disk.conversation && (!base || disk.writeId !== base.writeId)) {
        const merged = mergeConversations(ours, disk.conversation);
        if (merged.kind === 'diverged') return this.writeFork(hostId, ours);
        this.log.info(
          `Conversation store: ${ours.id} was changed by another window; merged${merged.tookFromDisk ? ', keeping its messages' : ''}`,
        );
        toWrite = merged.conversation;
        settled = !merged.tookFromDisk;
      }
    } else {
      rev = base!.rev;
    }
    return { written: toWrite, stamp: await this.writeVersion(toWrite, rev + 1, settled) };
  }

  /**
   * Another window's history went another way: ours is kept as a new conversation, and so are the later
   * writes of the host's conversation `hostId` (when there is one).
   */
  private async writeFork(hostId: string | undefined, ours: Conversation): Promise<{ written: Conversation; stamp: Stamp }> {
    const copy = { id: randomUUID(), title: `${titleOf(ours)} (other window)` };
    if (hostId !== undefined) this.forks.set(hostId, copy);
    this.log.warn(`Conversation store: ${ours.id} was changed differently by another window; this window's version is kept as ${copy.id}`);
    const written = { ...ours, ...copy };
    return { written, stamp: await this.writeVersion(written, 1, true) };
  }

  /** Writes the file; `settled`: this process's next write of it may go straight over it. */
  private async writeVersion(c: Conversation, rev: number, settled: boolean): Promise<Stamp> {
    const writeId = randomUUID();
    const file: ConversationFile = { version: CONVERSATION_FORMAT_VERSION, rev, writeId, conversation: c };
    const stamp = await this.files.write(fileNameOf(c.id), JSON.stringify(file));
    if (settled) this.bases.set(c.id, { writeId, stamp, rev });
    else this.bases.delete(c.id);
    return stamp;
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

  /** The live state shown under `id`: a conversation whose writes go to a copy is shown under the copy's id. */
  private liveOf(id: string): Conversation | undefined {
    if (this.forks.has(id)) return undefined;
    for (const [hostId, copy] of this.forks) {
      const live = copy.id === id ? this.writes.live(hostId) : undefined;
      if (live) return { ...live, ...copy };
    }
    // A host that heard of the fork writes its copy under the copy's own id.
    return this.writes.live(id);
  }

  /** A summary for the conversation as this process last saw it (live state preferred). */
  private summaryOf(id: string): ConversationSummary | undefined {
    const live = this.liveOf(id);
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
      const ids = new Set([...this.index.ids(), ...this.writes.liveIds().map((id) => this.forks.get(id)?.id ?? id)]);
      const conversations = [...ids].flatMap((id) => this.summaryOf(id) ?? []).sort((a, b) => b.updatedAt - a.updatedAt);
      return { conversations, problems };
    });
  }

  /**
   * One conversation, or undefined if there is none with that id (or it was unreadable: see `problems`).
   * What was under way when the editor stopped comes back cut off: streaming answers `interrupted`, tool
   * calls that were waiting or running `cancelled` (see `markInterrupted`). Loading the id a fork left behind
   * (`onDidFork`'s `from`) opens the other window's version: this window's later writes of that id go to it.
   */
  load(id: string): Promise<LoadResult> {
    return this.read(id, true);
  }

  /**
   * `load`; `opens`: the host opens it, so when this window's writes of `id` went to a copy, from now on
   * they are of the version read here (the other window's), and go to its own file again.
   */
  private read(id: string, opens: boolean): Promise<LoadResult> {
    assertId(id);
    return this.mutex.run(async () => {
      const problems = this.takeUnreported();
      const live = this.liveOf(id);
      if (live) return { conversation: canonical(live), problems };
      if (this.writes.isDeleted(id)) return { conversation: undefined, problems };
      const { conversation, stamp, rev, writeId, problem } = await this.files.readConversation(id);
      if (problem) problems.push(problem);
      const reopened = opens && conversation !== undefined && this.forks.delete(id);
      // What the host now holds: its next write may go over this version, and merges with any other.
      if (conversation && stamp && writeId && (reopened || !this.bases.has(id))) this.bases.set(id, { writeId, stamp, rev: rev ?? 0 });
      if (!conversation && problem?.kind !== 'newerVersion') this.index.forget(id);
      return { conversation: conversation && markInterrupted(conversation), problems };
    });
  }

  /** Renames (an empty title goes back to the first question). Does not change `updatedAt`. */
  async rename(id: string, title: string): Promise<ConversationSummary | undefined> {
    assertId(id);
    const trimmed = title.trim();
    const copyOf = [...this.forks].find(([, copy]) => copy.id === id);
    if (copyOf && this.writes.live(copyOf[0])) {
      // This window's copy, still written from the host's conversation: its title lives in the fork.
      copyOf[1].title = trimmed || titleOf(this.writes.live(copyOf[0])!);
      await this.writeAndIndex(this.writes.live(copyOf[0])!, false);
      return this.summaryOf(id);
    }
    let conversation: Conversation | undefined = this.forks.has(id) ? undefined : this.writes.live(id);
    if (!conversation) {
      const loaded = await this.read(id, false);
      this.unreported.push(...loaded.problems);
      conversation = loaded.conversation;
    }
    if (!conversation) return undefined;
    if (trimmed) conversation.title = trimmed;
    else delete conversation.title;
    if (copyOf) copyOf[1].title = titleOf(conversation);
    if (this.forks.has(id)) await this.writeOthers(conversation);
    else await this.writeAndIndex(conversation, false);
    return this.summaryOf(id);
  }

  /** Writes the other window's version of a conversation this window's writes no longer go to (they go to a copy). */
  private async writeOthers(conversation: Conversation): Promise<void> {
    const c = canonical(conversation);
    const { written, stamp } = await this.files.withLock(fileNameOf(c.id), () => this.writeChecked(undefined, c));
    this.index.recordWrite(written, stamp);
    await this.updateIndex();
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

  /** Deletes these conversations for good (the host asks the user first, and sweeps the images after). */
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

  /** Deletes the images no conversation here has, nor `keep` (see `StoreImages.sweep`); the bytes freed. */
  async sweepImages(keep: ReadonlySet<string> = new Set()): Promise<number> {
    const conversations = await this.oldest(Infinity); // all of them, their problems kept for list()
    const live = this.writes.liveIds().map((id) => imagesOf(this.writes.live(id)!));
    return (await this.images?.sweep([keep, ...conversations.map((s) => s.images ?? []), ...live])) ?? 0;
  }

  /**
   * Stops any pending write, waits for one in flight, removes the file. With `keep`, also returns the
   * content for undo (the live state if there is one, else what was on disk).
   */
  private async removeLocked(id: string, keep: boolean): Promise<{ existed: boolean; deleted?: DeletedConversation }> {
    // From here on no write of it starts, and the one in flight is waited for (unless this window's writes of it go to a copy).
    const { hadSlot, live } = this.forks.has(id) ? { hadSlot: false, live: undefined } : await this.writes.forget(id);
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
      const loaded = await this.read(summary.id, false);
      problems.push(...loaded.problems);
      if (!loaded.conversation) continue;
      const { inTitle, matches } = matchConversation(loaded.conversation, pattern);
      if (inTitle || matches.length > 0) hits.push({ summary, inTitle, matches });
    }
    return { hits, problems };
  }

  /** Bytes used by the store: conversations, index, files kept aside, unfinished writes, and the images. */
  async usage(): Promise<number> {
    return (await this.files.usage()) + ((await this.images?.totalBytes()) ?? 0);
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
      this.didFork.dispose();
    }
  }

  private takeUnreported(): StoreProblem[] {
    const problems = this.unreported;
    this.unreported = [];
    return problems;
  }
}
