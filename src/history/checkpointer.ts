/**
 * When each conversation gets written.
 *
 * While an answer streams, `checkpoint()` is called as often as convenient; a conversation is written at
 * most once per interval (2 s by default), and `writeNow()` writes at once (the store calls it on every
 * state change: a message added, an answer ended). Writes of one conversation are serialised and
 * coalesced: never two at once, and the last state handed in is the last one written.
 *
 * The checkpointer keeps a reference to the object it was handed and serialises it when the write starts,
 * so a write always carries the latest state. What a write does (the file, the index) is the store's.
 */
import { errorText } from './atomicFile';
import { assertId, canonical, isUnfinished, type Conversation } from './conversationFormat';
import type { WallClock } from '../shared/clock';
import type { Logger } from '../shared/log';

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 2000;

/** The wall clock with timers that do not hold the process open: the store's default. */
export const systemClock: WallClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending checkpoint must not keep a process alive; `dispose()` flushes on the way out.
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface CheckpointerOptions {
  clock: WallClock;
  log: Logger;
  intervalMs: number;
  /** Writes one conversation (canonical, as of `revision`); resolves once it is on disk. */
  write(conversation: Conversation, revision: number): Promise<void>;
}

interface Waiter {
  revision: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** One conversation's writes. */
interface Slot {
  id: string;
  /** The latest object handed in; kept until written, and while something in it is under way. */
  live: Conversation | undefined;
  /** Counts the states handed in; `written` is the last one on disk. */
  revision: number;
  written: number;
  /** A revision whose write failed: not retried on a timer, only on the next checkpoint or flush. */
  failed: number;
  writing: Promise<void> | undefined;
  urgent: boolean;
  timer: unknown;
  lastWriteAt: number;
  waiters: Waiter[];
}

export class Checkpointer {
  private readonly slots = new Map<string, Slot>();
  /** Deleted in this process: checkpoints for them are ignored until `revive`. */
  private readonly deleted = new Set<string>();
  private disposed = false;

  constructor(private readonly opts: CheckpointerOptions) {}

  /** Records the conversation's current state; written at once if the interval since the last write has passed, else when it ends. */
  checkpoint(conversation: Conversation): void {
    const slot = this.accept(conversation, true);
    if (slot) this.pump(slot);
  }

  /** Writes `conversation` now (`stamp`: set its `updatedAt`); resolves once it is on disk, rejects if that failed. */
  writeNow(conversation: Conversation, stamp: boolean): Promise<void> {
    const slot = this.accept(conversation, stamp);
    return slot ? this.writeSoon(slot, slot.revision) : Promise.resolve();
  }

  /** Writes every conversation with a pending checkpoint now. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.slots.values()].filter((s) => s.written < s.revision).map((s) => this.writeSoon(s, s.revision)));
  }

  /** The state handed in last, when it is not on disk yet or is still under way. */
  live(id: string): Conversation | undefined {
    return this.slots.get(id)?.live;
  }

  liveIds(): string[] {
    return [...this.slots.values()].filter((s) => s.live).map((s) => s.id);
  }

  isWriting(id: string): boolean {
    return this.slots.get(id)?.writing !== undefined;
  }

  isDeleted(id: string): boolean {
    return this.deleted.has(id);
  }

  /**
   * Ignores the conversation from now on: stops a pending write and waits for one in flight (so the caller
   * can remove the file after it). Returns whether there was a slot, and its live state (canonical) if any.
   */
  async forget(id: string): Promise<{ hadSlot: boolean; live?: Conversation }> {
    const slot = this.slots.get(id);
    let live: Conversation | undefined;
    try {
      live = slot?.live && canonical(slot.live);
    } catch {
      live = undefined;
    }
    this.deleted.add(id);
    if (!slot) return { hadSlot: false };
    if (slot.timer !== undefined) this.opts.clock.clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.live = undefined;
    await slot.writing;
    for (const w of slot.waiters) w.resolve();
    slot.waiters = [];
    this.slots.delete(id);
    return { hadSlot: true, ...(live ? { live } : {}) };
  }

  /** Accepts writes of a forgotten conversation again (undo of a delete). */
  revive(id: string): void {
    this.deleted.delete(id);
  }

  /** Resolves once no write is in flight or scheduled to start at once (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const writing = [...this.slots.values()].flatMap((s) => s.writing ?? []);
      if (writing.length === 0) return;
      await Promise.allSettled(writing);
    }
  }

  /** Ignores writes from now on and stops the timers (flush first). */
  dispose(): void {
    this.disposed = true;
    for (const slot of this.slots.values()) {
      if (slot.timer !== undefined) this.opts.clock.clearTimeout(slot.timer);
      slot.timer = undefined;
    }
  }

  /**
   * The conversation goes on under another id (this window's copy of it). Its slot moves along, pending
   * state and waiters included, so a state handed in before the move cannot land after a newer one.
   */
  move(from: string, to: string, title: string): void {
    const slot = this.slots.get(from);
    if (!slot || this.slots.has(to)) return;
    this.slots.delete(from);
    slot.id = to;
    if (slot.live) slot.live = { ...slot.live, id: to, title };
    this.slots.set(to, slot);
  }

  /** Takes a new state for the conversation's slot; undefined when it must be ignored. */
  private accept(conversation: Conversation, stamp: boolean): Slot | undefined {
    assertId(conversation.id);
    if (this.disposed) {
      this.opts.log.warn(`Conversation store: ignoring a write of ${conversation.id} after dispose`);
      return undefined;
    }
    if (this.deleted.has(conversation.id)) {
      this.opts.log.warn(`Conversation store: ignoring a write of deleted conversation ${conversation.id}`);
      return undefined;
    }
    if (stamp) conversation.updatedAt = this.opts.clock.now();
    const slot = this.slot(conversation.id);
    slot.live = conversation;
    slot.revision++;
    return slot;
  }

  private slot(id: string): Slot {
    let slot = this.slots.get(id);
    if (!slot) {
      slot = {
        id,
        live: undefined,
        revision: 0,
        written: 0,
        failed: 0,
        writing: undefined,
        urgent: false,
        timer: undefined,
        lastWriteAt: -Infinity,
        waiters: [],
      };
      this.slots.set(id, slot);
    }
    return slot;
  }

  /** Asks for an immediate write of `slot` and waits until `revision` (or a later one) is on disk. */
  private writeSoon(slot: Slot, revision: number): Promise<void> {
    if (slot.written >= revision) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => slot.waiters.push({ revision, resolve, reject }));
    slot.urgent = true;
    this.pump(slot);
    return done;
  }

  /** Starts a write if one is due, or schedules one; never two at once for a slot. */
  private pump(slot: Slot): void {
    if (slot.writing || this.deleted.has(slot.id)) return;
    if (slot.written >= slot.revision || !slot.live) {
      this.settle(slot);
      return;
    }
    if (!slot.urgent && slot.failed === slot.revision) return;
    const now = this.opts.clock.now();
    const due = slot.lastWriteAt + this.opts.intervalMs;
    if (slot.urgent || now >= due) {
      if (slot.timer !== undefined) this.opts.clock.clearTimeout(slot.timer);
      slot.timer = undefined;
      this.startWrite(slot);
    } else if (slot.timer === undefined) {
      slot.timer = this.opts.clock.setTimeout(() => {
        slot.timer = undefined;
        this.pump(slot);
      }, due - now);
    }
  }

  private startWrite(slot: Slot): void {
    const revision = slot.revision;
    slot.urgent = false;
    slot.lastWriteAt = this.opts.clock.now();
    let conversation: Conversation;
    try {
      // The state as of now: the live object keeps changing while the write is on its way.
      conversation = canonical(slot.live!);
    } catch (err) {
      this.failWrite(slot, revision, err);
      return;
    }
    slot.writing = (async () => {
      try {
        await this.opts.write(conversation, revision);
        // Deleted while this write was on its way: the delete waits for it and removes the file after.
        if (this.deleted.has(slot.id)) return;
        slot.written = Math.max(slot.written, revision);
        for (const w of slot.waiters.filter((w) => w.revision <= slot.written)) w.resolve();
        slot.waiters = slot.waiters.filter((w) => w.revision > slot.written);
      } catch (err) {
        this.failWrite(slot, revision, err);
      } finally {
        slot.writing = undefined;
        this.pump(slot);
      }
    })();
  }

  private failWrite(slot: Slot, revision: number, err: unknown): void {
    if (slot.failed === 0 || slot.failed < slot.written)
      this.opts.log.error(`Conversation store: saving ${slot.id} failed: ${errorText(err)}`);
    slot.failed = revision;
    const failing = slot.waiters.filter((w) => w.revision <= revision);
    slot.waiters = slot.waiters.filter((w) => w.revision > revision);
    for (const w of failing) w.reject(err);
  }

  /**
   * An idle slot lets go of its conversation unless something in it is still under way (then `load` must
   * see the live state, not the last checkpoint marked interrupted). The slot itself stays: it remembers
   * when the last write was, so the interval holds across idle spells.
   */
  private settle(slot: Slot): void {
    if (slot.writing || slot.timer !== undefined || slot.written < slot.revision) return;
    for (const w of slot.waiters) w.resolve();
    slot.waiters = [];
    if (slot.live && !isUnfinished(slot.live)) slot.live = undefined;
  }
}
