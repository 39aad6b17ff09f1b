/**
 * Conversations on disk ("Nothing lost").
 *
 * Layout of the store's directory (the host passes one it owns, e.g. `<workspace storage>/conversations`,
 * falling back to global storage):
 *
 *   conversation-<id>.json             one per conversation: `{ "version": 1, "conversation": {…} }`
 *   index.json                         `{ "version": 1, "conversations": [summary + file stamp, …] }`
 *   <file>.tmp-<pid>-<n>               a write in progress (or left by a process that died mid-write)
 *   <file>.corrupt-<timestamp>         a file that could not be read, kept aside and reported
 *
 * Every write goes to a temp file in the same directory, is fsynced, renamed over the target, and the
 * directory is fsynced: a reader (or a crash at any instant) sees the old file or the new one, never a
 * mix. A file that is nonetheless unreadable (bad JSON, wrong shape, truncated by something else) is
 * moved aside and reported in the `problems` of the call that found it, never dropped and never fatal.
 *
 * The index is a cache so the history list loads without reading every conversation: each entry carries
 * the size, mtime and inode of the file it summarises, and `list()` re-reads only the files whose stamp
 * differs (or that the index does not know), dropping entries whose file is gone. So a missing, corrupt
 * or stale index (another window sharing global storage, a crash between a checkpoint and the index
 * write) costs a few reads and is rewritten, never a lost conversation.
 *
 * While an answer streams, `checkpoint()` is called as often as convenient; the store writes at most once
 * per `checkpointIntervalMs` (2 s) and `flush()` writes at once (call it on every state change: a message
 * added, an answer ended). Writes of one conversation are serialised and coalesced: never two at once,
 * and the last state handed in is the last one written. Timed checkpoints do not rewrite the index (the
 * stamps make that unnecessary); flush/save and every other operation do.
 *
 * No `vscode` here: the host adapts this to its UI.
 */
import { promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { ChatErrorInfo, ErrorAction, MessageRole } from '../shared/protocol';
import type { Clock } from './throttle';

export const CONVERSATION_FORMAT_VERSION = 1;
export const INDEX_FORMAT_VERSION = 1;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 2000;

/** A message's state on disk: the webview's states plus `interrupted` (the editor died mid-answer). */
export type StoredMessageState = 'streaming' | 'done' | 'stopped' | 'error' | 'interrupted';

export interface StoredMessage {
  id: string;
  role: MessageRole;
  text: string;
  state: StoredMessageState;
  error?: ChatErrorInfo;
}

export interface StoredModel {
  endpoint: string;
  model?: string;
}

export interface Conversation {
  id: string;
  /** Set when the user renamed the conversation; otherwise the list shows the first question. */
  title?: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; stamped by the store on checkpoint, flush and save. */
  updatedAt: number;
  model?: StoredModel;
  messages: StoredMessage[];
}

/** What the history list shows, from the index. */
export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  model?: StoredModel;
  messageCount: number;
  /** Size of the conversation's file. */
  bytes: number;
}

export interface StoreProblem {
  /** File name inside the store's directory. */
  file: string;
  kind: 'corrupt' | 'newerVersion' | 'unreadable';
  /** Why, as the rest of a sentence that starts with the file name: `${file} ${reason}`. */
  reason: string;
  /** Where the file was kept aside (corrupt files only; absent if moving it failed). */
  movedTo?: string;
}

export interface ListResult {
  /** Most recently updated first. */
  conversations: ConversationSummary[];
  problems: StoreProblem[];
}

export interface LoadResult {
  conversation: Conversation | undefined;
  problems: StoreProblem[];
}

/** What `delete` hands back so that `restore` can undo it. */
export interface DeletedConversation {
  conversation: Conversation;
  summary: ConversationSummary;
}

export interface SearchMatch {
  messageId: string;
  role: MessageRole;
  /** Some text around the first match in the message, on one line. */
  snippet: string;
}

export interface SearchHit {
  summary: ConversationSummary;
  inTitle: boolean;
  /** Matching messages, in order (at most `maxMatchesPerConversation`). */
  matches: SearchMatch[];
}

export interface WriteEvent {
  id: string;
  /** Counts checkpoint/flush/save calls for this conversation in this process; the one this write carried. */
  revision: number;
  bytes: number;
  /** The conversation exactly as written. */
  conversation: Conversation;
}

export interface StoreLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ConversationStoreOptions {
  dir: string;
  /** `now()` must be epoch ms (timestamps and the checkpoint interval). Default: Date.now and real timers. */
  clock?: Clock;
  log?: StoreLogger;
  checkpointIntervalMs?: number;
  /** After each conversation file write has landed (tests, diagnostics). */
  onWrite?(event: WriteEvent): void;
}

const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending checkpoint must not keep a process alive; `dispose()` flushes on the way out.
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

const silentLog: StoreLogger = { info() {}, warn() {}, error() {} };

const INDEX_FILE = 'index.json';
const FILE_PREFIX = 'conversation-';
const FILE_SUFFIX = '.json';
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const CONVERSATION_FILE = /^conversation-([A-Za-z0-9_-]{1,128})\.json$/;
const TEMP_FILE = /^(.+)\.tmp-(\d+)-(\d+)$/;
/** A temp file of another live process is left alone unless it is this old (that process is stuck). */
const STALE_TEMP_MS = 60 * 60 * 1000;
const MAX_MATCHES_PER_CONVERSATION = 3;
const SNIPPET_CONTEXT = 40;

export const fileNameOf = (id: string) => `${FILE_PREFIX}${id}${FILE_SUFFIX}`;

function assertId(id: string): void {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new Error(`Invalid conversation id ${JSON.stringify(id)}: letters, digits, '-' and '_' only`);
}

// ---------------------------------------------------------------------------------------------------------
// Format: v1, validation, migration

interface ConversationFileV1 {
  version: 1;
  conversation: Conversation;
}

/**
 * The format before versioning (hypothetical: what a first release would have written): no `version`,
 * dates as ISO strings, the endpoint and model as flat fields, messages without ids and with `content`
 * and flags instead of a state.
 */
export interface ConversationV0 {
  version?: 0;
  id: string;
  title?: string;
  created: string;
  updated?: string;
  endpoint?: string;
  model?: string;
  messages: Array<{ role: MessageRole; content: string; done?: boolean; stopped?: boolean; error?: string }>;
}

export type MigrateResult =
  | { ok: true; conversation: Conversation; /** The version the input was in. */ from: number }
  | { ok: false; reason: string; /** Written by a newer version of the extension: leave it alone. */ newer?: boolean };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const STATES: readonly StoredMessageState[] = ['streaming', 'done', 'stopped', 'error', 'interrupted'];

/** Any version's parsed JSON to the current shape, checked field by field. */
export function migrate(raw: unknown): MigrateResult {
  if (!isObject(raw)) return { ok: false, reason: 'the file does not hold a JSON object' };
  const version = raw.version ?? 0;
  if (version === 0) {
    const upgraded = fromV0(raw);
    if (typeof upgraded === 'string') return { ok: false, reason: `version 0: ${upgraded}` };
    const checked = checkConversation(upgraded);
    return typeof checked === 'string' ? { ok: false, reason: `version 0: ${checked}` } : { ok: true, conversation: checked, from: 0 };
  }
  if (version === 1) {
    const checked = checkConversation(raw.conversation);
    return typeof checked === 'string' ? { ok: false, reason: checked } : { ok: true, conversation: checked, from: 1 };
  }
  if (typeof version === 'number' && Number.isInteger(version) && version > CONVERSATION_FORMAT_VERSION) {
    return { ok: false, newer: true, reason: `written in format version ${version} by a newer version of the extension` };
  }
  return { ok: false, reason: `unknown format version ${JSON.stringify(version)}` };
}

function fromV0(raw: Record<string, unknown>): unknown {
  if (typeof raw.id !== 'string') return 'no id';
  if (typeof raw.created !== 'string' || Number.isNaN(Date.parse(raw.created))) return 'no valid "created" date';
  if (!Array.isArray(raw.messages)) return 'no messages array';
  const createdAt = Date.parse(raw.created);
  const updated = typeof raw.updated === 'string' ? Date.parse(raw.updated) : NaN;
  const messages: unknown[] = [];
  for (const [i, m] of raw.messages.entries()) {
    if (!isObject(m) || typeof m.content !== 'string') return `message ${i} has no content`;
    const state: StoredMessageState = typeof m.error === 'string' ? 'error' : m.stopped === true ? 'stopped' : m.done === false ? 'streaming' : 'done';
    messages.push({
      id: `${raw.id}-m${i}`,
      role: m.role,
      text: m.content,
      state,
      ...(typeof m.error === 'string' ? { error: { message: m.error, actions: [] } } : {}),
    });
  }
  return {
    id: raw.id,
    ...(typeof raw.title === 'string' ? { title: raw.title } : {}),
    createdAt,
    updatedAt: Number.isNaN(updated) ? createdAt : updated,
    ...(typeof raw.endpoint === 'string' || typeof raw.model === 'string'
      ? { model: { endpoint: typeof raw.endpoint === 'string' ? raw.endpoint : '', ...(typeof raw.model === 'string' ? { model: raw.model } : {}) } }
      : {}),
    messages,
  };
}

/** The conversation in canonical form (only known fields, no undefined keys), or why it is not one. */
function checkConversation(v: unknown): Conversation | string {
  if (!isObject(v)) return 'no conversation object';
  if (typeof v.id !== 'string' || !ID_PATTERN.test(v.id)) return 'no valid id';
  if (v.title !== undefined && typeof v.title !== 'string') return 'the title is not text';
  if (!isTime(v.createdAt) || !isTime(v.updatedAt)) return 'no valid createdAt/updatedAt';
  let model: StoredModel | undefined;
  if (v.model !== undefined) {
    if (!isObject(v.model) || typeof v.model.endpoint !== 'string' || (v.model.model !== undefined && typeof v.model.model !== 'string')) return 'the model is malformed';
    model = { endpoint: v.model.endpoint, ...(typeof v.model.model === 'string' ? { model: v.model.model } : {}) };
  }
  if (!Array.isArray(v.messages)) return 'no messages array';
  const messages: StoredMessage[] = [];
  for (const [i, m] of v.messages.entries()) {
    const checked = checkMessage(m);
    if (typeof checked === 'string') return `message ${i}: ${checked}`;
    messages.push(checked);
  }
  return {
    id: v.id,
    ...(typeof v.title === 'string' ? { title: v.title } : {}),
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    ...(model ? { model } : {}),
    messages,
  };
}

function checkMessage(m: unknown): StoredMessage | string {
  if (!isObject(m)) return 'not an object';
  if (typeof m.id !== 'string' || m.id.length === 0) return 'no id';
  if (m.role !== 'user' && m.role !== 'assistant') return `unknown role ${JSON.stringify(m.role)}`;
  if (typeof m.text !== 'string') return 'no text';
  if (!STATES.includes(m.state as StoredMessageState)) return `unknown state ${JSON.stringify(m.state)}`;
  let error: ChatErrorInfo | undefined;
  if (m.error !== undefined) {
    if (!isObject(m.error) || typeof m.error.message !== 'string') return 'malformed error';
    // Actions are conveniences: one this version does not know is dropped, not a reason to lose the conversation.
    const actions = Array.isArray(m.error.actions)
      ? (m.error.actions.filter((a) => isObject(a) && typeof a.kind === 'string' && typeof a.label === 'string') as unknown as ErrorAction[]).map((a) => ({ ...a }))
      : [];
    error = { message: m.error.message, actions };
  }
  return { id: m.id, role: m.role, text: m.text, state: m.state as StoredMessageState, ...(error ? { error } : {}) };
}

/** A deep, canonical copy of what the host handed in (drops fields the store does not know, like `seq`). */
function canonical(c: Conversation): Conversation {
  const checked = checkConversation(c);
  if (typeof checked === 'string') throw new Error(`Cannot store conversation ${JSON.stringify(c?.id)}: ${checked}`);
  return checked;
}

/** The list's title: the user's, else the first line of the first question, shortened. */
export function titleOf(c: Pick<Conversation, 'title' | 'messages'>): string {
  const own = c.title?.trim();
  if (own) return own;
  const first = c.messages.find((m) => m.role === 'user' && m.text.trim() !== '');
  if (!first) return 'New chat';
  const line = first.text.trim().split('\n')[0].replace(/\s+/g, ' ').trim();
  const chars = Array.from(line);
  return chars.length > 80 ? `${chars.slice(0, 79).join('').trimEnd()}…` : line;
}

/** Marks answers that were streaming when the editor stopped as interrupted. */
function markInterrupted(c: Conversation): Conversation {
  for (const m of c.messages) if (m.state === 'streaming') m.state = 'interrupted';
  return c;
}

const isStreaming = (c: Conversation) => c.messages.some((m) => m.state === 'streaming');

// ---------------------------------------------------------------------------------------------------------
// The index

interface Stamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

interface IndexEntry extends ConversationSummary {
  stamp: Stamp;
}

const stampOf = (st: Stats): Stamp => ({ size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
const sameStamp = (a: Stamp, b: Stamp) => a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;

function summarize(c: Conversation, stamp: Stamp): IndexEntry {
  return {
    id: c.id,
    title: titleOf(c),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    ...(c.model ? { model: { ...c.model } } : {}),
    messageCount: c.messages.length,
    bytes: stamp.size,
    stamp,
  };
}

function publicSummary(e: IndexEntry): ConversationSummary {
  const { stamp: _stamp, ...summary } = e;
  return summary;
}

function checkIndex(raw: unknown): IndexEntry[] | string {
  if (!isObject(raw)) return 'not a JSON object';
  if (raw.version !== INDEX_FORMAT_VERSION) return `unknown index version ${JSON.stringify(raw.version)}`;
  if (!Array.isArray(raw.conversations)) return 'no conversations array';
  const entries: IndexEntry[] = [];
  for (const [i, e] of raw.conversations.entries()) {
    if (
      !isObject(e) || typeof e.id !== 'string' || !ID_PATTERN.test(e.id) || typeof e.title !== 'string' || !isTime(e.createdAt) || !isTime(e.updatedAt)
      || !Number.isInteger(e.messageCount) || !isTime(e.bytes) || !isObject(e.stamp) || !isTime(e.stamp.size) || !isTime(e.stamp.mtimeMs) || !isTime(e.stamp.ino)
      || (e.model !== undefined && (!isObject(e.model) || typeof e.model.endpoint !== 'string'))
    ) {
      return `entry ${i} is malformed`;
    }
    entries.push(e as unknown as IndexEntry);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------------------
// Small concurrency helpers

/** Runs `job` one at a time; calls made while it runs share one more run after it (coalesced). */
class Coalescer {
  private current: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  constructor(private readonly job: () => Promise<void>) {}

  run(): Promise<void> {
    if (!this.current) {
      this.current = this.job().finally(() => (this.current = undefined));
      return this.current;
    }
    this.next ??= this.current.catch(() => undefined).then(() => {
      this.next = undefined;
      return this.run();
    });
    return this.next;
  }
}

/** A FIFO mutex for the operations that change which files exist (list, load, delete, rename, …). */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

interface Waiter {
  revision: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** One conversation's writes. */
interface Slot {
  id: string;
  /** The latest object handed in; kept until written, and while it has a streaming answer. */
  live: Conversation | undefined;
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

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const isMissing = (err: unknown) => (err as { code?: string })?.code === 'ENOENT';

// ---------------------------------------------------------------------------------------------------------

export class ConversationStore {
  readonly dir: string;
  private readonly clock: Clock;
  private readonly log: StoreLogger;
  private readonly interval: number;
  private readonly slots = new Map<string, Slot>();
  /** Deleted in this process: checkpoints for them are ignored until `restore`. */
  private readonly deleted = new Set<string>();
  /** Best knowledge of the files, keyed by id; complete once `reconciled`. */
  private readonly known = new Map<string, IndexEntry>();
  private reconciled = false;
  private indexDirty = false;
  /** Problems found outside a call that returns problems (e.g. while writing): handed out by the next list(). */
  private unreported: StoreProblem[] = [];
  /** Newer-format files already reported (reported once per process, left in place). */
  private readonly reportedNewer = new Set<string>();
  private readonly mutex = new Mutex();
  private readonly indexWriter = new Coalescer(() => this.writeIndexNow());
  private dirReady: Promise<void> | undefined;
  private tempCounter = 0;
  private disposed = false;

  constructor(private readonly opts: ConversationStoreOptions) {
    this.dir = opts.dir;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLog;
    this.interval = Math.max(0, opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
  }

  // ----- writing -------------------------------------------------------------------------------------------

  /**
   * Records the conversation's current state; written at once if the last write of it was at least the
   * checkpoint interval ago, else when the interval ends (with whatever state it has by then). Cheap: call
   * it on every token. Stamps `conversation.updatedAt`. The store keeps a reference and serialises it at
   * write time, so the host must not swap message objects for others mid-answer only to expect old text.
   */
  checkpoint(conversation: Conversation): void {
    const slot = this.accept(conversation, true);
    if (slot) this.pump(slot);
  }

  /**
   * Writes now: the given conversation (stamping `updatedAt`), or with no argument every conversation with
   * a pending checkpoint; then the index. Resolves when it is on disk; rejects if the write failed.
   */
  async flush(conversation?: Conversation): Promise<void> {
    if (!conversation) {
      await Promise.all([...this.slots.values()].filter((s) => s.written < s.revision).map((s) => this.writeSoon(s, s.revision)));
      await this.updateIndex();
      return;
    }
    await this.writeAndIndex(conversation, true);
  }

  /** Writes a whole conversation now (a new chat, an imported or edited one). Same as `flush(conversation)`. */
  save(conversation: Conversation): Promise<void> {
    return this.flush(conversation);
  }

  private async writeAndIndex(conversation: Conversation, stamp: boolean): Promise<void> {
    const slot = this.accept(conversation, stamp);
    if (!slot) return;
    await this.writeSoon(slot, slot.revision);
    await this.updateIndex();
  }

  /** Takes a new state for the conversation's slot; undefined when it must be ignored. */
  private accept(conversation: Conversation, stamp: boolean): Slot | undefined {
    assertId(conversation.id);
    if (this.disposed) {
      this.log.warn(`Conversation store: ignoring a write of ${conversation.id} after dispose`);
      return undefined;
    }
    if (this.deleted.has(conversation.id)) {
      this.log.warn(`Conversation store: ignoring a write of deleted conversation ${conversation.id}`);
      return undefined;
    }
    if (stamp) conversation.updatedAt = this.clock.now();
    const slot = this.slot(conversation.id);
    slot.live = conversation;
    slot.revision++;
    return slot;
  }

  private slot(id: string): Slot {
    let slot = this.slots.get(id);
    if (!slot) {
      slot = { id, live: undefined, revision: 0, written: 0, failed: 0, writing: undefined, urgent: false, timer: undefined, lastWriteAt: -Infinity, waiters: [] };
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
    const now = this.clock.now();
    const due = slot.lastWriteAt + this.interval;
    if (slot.urgent || now >= due) {
      if (slot.timer !== undefined) this.clock.clearTimeout(slot.timer);
      slot.timer = undefined;
      this.startWrite(slot);
    } else if (slot.timer === undefined) {
      slot.timer = this.clock.setTimeout(() => {
        slot.timer = undefined;
        this.pump(slot);
      }, due - now);
    }
  }

  private startWrite(slot: Slot): void {
    const revision = slot.revision;
    slot.urgent = false;
    slot.lastWriteAt = this.clock.now();
    let conversation: Conversation;
    let json: string;
    try {
      conversation = canonical(slot.live!);
      json = JSON.stringify({ version: CONVERSATION_FORMAT_VERSION, conversation } satisfies ConversationFileV1);
    } catch (err) {
      this.failWrite(slot, revision, err);
      return;
    }
    slot.writing = (async () => {
      try {
        const stamp = await this.writeAtomic(fileNameOf(slot.id), json);
        if (this.deleted.has(slot.id)) {
          // Deleted while this write was on its way: the delete waits for it and removes the file after.
          return;
        }
        slot.written = Math.max(slot.written, revision);
        this.known.set(slot.id, summarize(conversation, stamp));
        this.indexDirty = true;
        try {
          this.opts.onWrite?.({ id: slot.id, revision, bytes: stamp.size, conversation });
        } catch (err) {
          this.log.warn(`Conversation store: onWrite threw: ${errorText(err)}`);
        }
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
    if (slot.failed === 0 || slot.failed < slot.written) this.log.error(`Conversation store: saving ${slot.id} failed: ${errorText(err)}`);
    slot.failed = revision;
    const failing = slot.waiters.filter((w) => w.revision <= revision);
    slot.waiters = slot.waiters.filter((w) => w.revision > revision);
    for (const w of failing) w.reject(err);
  }

  /**
   * An idle slot lets go of its conversation unless it is still streaming (then `load` must see the live
   * state, not the last checkpoint marked interrupted). The slot itself stays: it remembers when the last
   * write was, so the interval holds across idle spells.
   */
  private settle(slot: Slot): void {
    if (slot.writing || slot.timer !== undefined || slot.written < slot.revision) return;
    for (const w of slot.waiters) w.resolve();
    slot.waiters = [];
    if (slot.live && !isStreaming(slot.live)) slot.live = undefined;
  }

  /** Resolves once no write is in flight or scheduled to start at once (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const writing = [...this.slots.values()].flatMap((s) => s.writing ?? []);
      if (writing.length === 0) return;
      await Promise.allSettled(writing);
    }
  }

  // ----- files ---------------------------------------------------------------------------------------------

  private ensureDir(): Promise<void> {
    this.dirReady ??= fs.mkdir(this.dir, { recursive: true }).then(
      () => undefined,
      (err) => {
        this.dirReady = undefined;
        throw err;
      },
    );
    return this.dirReady;
  }

  /** Temp file in the same directory, fsync, rename over `name`, fsync the directory. */
  private async writeAtomic(name: string, data: string): Promise<Stamp> {
    await this.ensureDir();
    const target = path.join(this.dir, name);
    const temp = `${target}.tmp-${process.pid}-${++this.tempCounter}`;
    let handle: FileHandle | undefined;
    try {
      handle = await fs.open(temp, 'wx', 0o600);
      await handle.writeFile(data, 'utf8');
      await handle.sync();
      const stamp = stampOf(await handle.stat());
      await handle.close();
      handle = undefined;
      await renameWithRetry(temp, target);
      await this.syncDir();
      return stamp;
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await fs.unlink(temp).catch(() => undefined);
      throw err;
    }
  }

  /** Makes the rename itself durable. Not possible on every platform (Windows): then the rename has to do. */
  private async syncDir(): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await fs.open(this.dir, 'r');
      await handle.sync();
    } catch {
      // EISDIR/EPERM on Windows, EINVAL on some file systems.
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  /** Reads and checks one conversation file. Corrupt files are moved aside; every outcome is reported. */
  private async readConversation(id: string): Promise<{ conversation?: Conversation; stamp?: Stamp; problem?: StoreProblem }> {
    const name = fileNameOf(id);
    const file = path.join(this.dir, name);
    let text: string;
    let stamp: Stamp;
    try {
      const handle = await fs.open(file, 'r');
      try {
        stamp = stampOf(await handle.stat());
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (isMissing(err)) return {};
      return { problem: { file: name, kind: 'unreadable', reason: `cannot be read: ${errorText(err)}` } };
    }
    let raw: unknown;
    try {
      if (text.length === 0) throw new Error('the file is empty');
      raw = JSON.parse(text);
    } catch (err) {
      return { problem: await this.moveAside(name, `is not valid JSON (${errorText(err)}; ${stamp.size} bytes), probably cut short`) };
    }
    const result = migrate(raw);
    if (!result.ok) {
      if (result.newer) return { problem: { file: name, kind: 'newerVersion', reason: `was ${result.reason}; it is left as it is` } };
      return { problem: await this.moveAside(name, `does not hold a conversation: ${result.reason}`) };
    }
    if (result.conversation.id !== id) return { problem: await this.moveAside(name, `holds conversation ${JSON.stringify(result.conversation.id)}, not ${id}`) };
    return { conversation: result.conversation, stamp };
  }

  private async moveAside(name: string, reason: string): Promise<StoreProblem> {
    const stamp = new Date(this.clock.now()).toISOString().replace(/[:.]/g, '-');
    const from = path.join(this.dir, name);
    for (let n = 0; n < 100; n++) {
      const aside = `${name}.corrupt-${stamp}${n ? `-${n}` : ''}`;
      try {
        await fs.access(path.join(this.dir, aside));
        continue;
      } catch {
        // Free name.
      }
      try {
        await renameWithRetry(from, path.join(this.dir, aside));
        this.log.warn(`Conversation store: ${name} ${reason}; kept aside as ${aside}`);
        return { file: name, kind: 'corrupt', reason, movedTo: aside };
      } catch (err) {
        this.log.error(`Conversation store: ${name} ${reason}; moving it aside failed: ${errorText(err)}`);
        return { file: name, kind: 'corrupt', reason: `${reason} (moving it aside failed: ${errorText(err)})` };
      }
    }
    return { file: name, kind: 'corrupt', reason: `${reason} (no free name to move it aside)` };
  }

  /** Temp files left by a process that died mid-write: the target is intact (old or new), so they go. */
  private async removeStaleTemp(name: string, pid: number): Promise<void> {
    if (pid === process.pid) return;
    const file = path.join(this.dir, name);
    try {
      const st = await fs.stat(file);
      if (processAlive(pid) && this.clock.now() - st.mtimeMs < STALE_TEMP_MS) return;
      await fs.unlink(file);
      this.log.info(`Conversation store: removed ${name}, an unfinished write of a process that is gone`);
    } catch (err) {
      if (!isMissing(err)) this.log.warn(`Conversation store: could not remove ${name}: ${errorText(err)}`);
    }
  }

  // ----- the index -----------------------------------------------------------------------------------------

  /** Brings `known` in line with the directory (see the header). Runs under the mutex. */
  private async reconcileLocked(problems: StoreProblem[]): Promise<void> {
    await this.ensureDir();
    if (!this.reconciled) await this.readIndexLocked(problems);
    const names = await fs.readdir(this.dir);
    const present = new Set<string>();
    for (const name of names) {
      const temp = TEMP_FILE.exec(name);
      if (temp) {
        await this.removeStaleTemp(name, Number(temp[2]));
        continue;
      }
      const match = CONVERSATION_FILE.exec(name);
      if (!match) continue;
      const id = match[1];
      if (this.deleted.has(id)) continue;
      let st: Stats;
      try {
        st = await fs.stat(path.join(this.dir, name));
      } catch (err) {
        if (!isMissing(err)) problems.push({ file: name, kind: 'unreadable', reason: `cannot be read: ${errorText(err)}` });
        continue;
      }
      const entry = this.known.get(id);
      if (entry && sameStamp(entry.stamp, stampOf(st))) {
        present.add(id);
        continue;
      }
      const { conversation, stamp, problem } = await this.readConversation(id);
      if (problem) {
        if (problem.kind !== 'newerVersion' || !this.reportedNewer.has(`${name}:${st.mtimeMs}`)) problems.push(problem);
        if (problem.kind === 'newerVersion') this.reportedNewer.add(`${name}:${st.mtimeMs}`);
        continue;
      }
      if (conversation && stamp) {
        present.add(id);
        this.known.set(id, summarize(conversation, stamp));
        this.indexDirty = true;
      }
    }
    for (const id of [...this.known.keys()]) {
      if (present.has(id) || this.slots.get(id)?.writing) continue;
      this.known.delete(id);
      this.indexDirty = true;
    }
    this.reconciled = true;
  }

  private async readIndexLocked(problems: StoreProblem[]): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.dir, INDEX_FILE), 'utf8');
    } catch (err) {
      if (!isMissing(err)) problems.push({ file: INDEX_FILE, kind: 'unreadable', reason: `cannot be read: ${errorText(err)}; rebuilt from the conversation files` });
      else this.log.info('Conversation store: no index yet; building it from the conversation files');
      this.indexDirty = true;
      return;
    }
    let entries: IndexEntry[] | string;
    try {
      entries = checkIndex(JSON.parse(text));
    } catch (err) {
      entries = `not valid JSON (${errorText(err)})`;
    }
    if (typeof entries === 'string') {
      const problem = await this.moveAside(INDEX_FILE, `(the history index) is ${entries}; rebuilt from the conversation files`);
      problems.push(problem);
      this.indexDirty = true;
      return;
    }
    for (const e of entries) if (!this.known.has(e.id)) this.known.set(e.id, e);
  }

  /** Writes the index if anything changed, reconciling first if that never happened (never a partial index). */
  private async updateIndex(): Promise<void> {
    if (!this.reconciled) {
      const problems: StoreProblem[] = [];
      await this.mutex.run(() => (this.reconciled ? Promise.resolve() : this.reconcileLocked(problems)));
      this.unreported.push(...problems);
    }
    // The index is a cache (the next list() repairs it): a failure to write it is logged, not thrown.
    if (this.indexDirty) await this.indexWriter.run().catch(() => undefined);
  }

  private async writeIndexNow(): Promise<void> {
    if (!this.indexDirty) return;
    this.indexDirty = false;
    const conversations = [...this.known.values()].sort((a, b) => b.updatedAt - a.updatedAt);
    try {
      await this.writeAtomic(INDEX_FILE, JSON.stringify({ version: INDEX_FORMAT_VERSION, conversations }));
    } catch (err) {
      this.indexDirty = true;
      this.log.error(`Conversation store: writing the index failed: ${errorText(err)}`);
      throw err;
    }
  }

  /** A summary for the conversation as this process last saw it (live state preferred). */
  private summaryOf(id: string): ConversationSummary | undefined {
    const entry = this.known.get(id);
    const live = this.slots.get(id)?.live;
    if (live) {
      try {
        return publicSummary(summarize(canonical(live), entry?.stamp ?? { size: 0, mtimeMs: 0, ino: 0 }));
      } catch {
        // Not storable: fall back to the disk state.
      }
    }
    return entry && publicSummary(entry);
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
      if (this.indexDirty && this.reconciled) await this.indexWriter.run().catch(() => undefined);
      const ids = new Set([...this.known.keys(), ...[...this.slots.values()].filter((s) => s.live).map((s) => s.id)]);
      const conversations = [...ids].flatMap((id) => this.summaryOf(id) ?? []).sort((a, b) => b.updatedAt - a.updatedAt);
      return { conversations, problems };
    });
  }

  /**
   * One conversation, or undefined if there is none with that id (or it was unreadable: see `problems`).
   * Answers that were streaming when the editor stopped come back `interrupted`.
   */
  load(id: string): Promise<LoadResult> {
    assertId(id);
    return this.mutex.run(async () => {
      const problems = this.takeUnreported();
      const live = this.slots.get(id)?.live;
      if (live) return { conversation: canonical(live), problems };
      if (this.deleted.has(id)) return { conversation: undefined, problems };
      const { conversation, problem } = await this.readConversation(id);
      if (problem) problems.push(problem);
      if (!conversation && problem?.kind !== 'newerVersion' && this.known.delete(id)) this.indexDirty = true;
      return { conversation: conversation && markInterrupted(conversation), problems };
    });
  }

  /** Renames (an empty title goes back to the first question). Does not change `updatedAt`. */
  async rename(id: string, title: string): Promise<ConversationSummary | undefined> {
    assertId(id);
    const trimmed = title.trim();
    const live = this.slots.get(id)?.live;
    let conversation: Conversation | undefined = live;
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
    this.deleted.delete(conversation.id);
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
        const bytes = this.known.get(id)?.bytes ?? 0;
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
    const slot = this.slots.get(id);
    let content: Conversation | undefined;
    if (keep && slot?.live) {
      try {
        content = canonical(slot.live);
      } catch {
        content = undefined;
      }
    }
    // From here on no write of it starts (accept and pump check this), and the one in flight is waited for.
    this.deleted.add(id);
    if (slot) {
      if (slot.timer !== undefined) this.clock.clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.live = undefined;
      await slot.writing;
      for (const w of slot.waiters) w.resolve();
      slot.waiters = [];
      this.slots.delete(id);
    }
    if (!content && keep) {
      const { conversation, problem } = await this.readConversation(id);
      if (problem) this.unreported.push(problem);
      content = conversation && markInterrupted(conversation);
    }
    let existed = false;
    try {
      await fs.unlink(path.join(this.dir, fileNameOf(id)));
      existed = true;
    } catch (err) {
      if (!isMissing(err)) {
        this.deleted.delete(id);
        throw err;
      }
    }
    const entry = this.known.get(id);
    if (this.known.delete(id)) this.indexDirty = true;
    if (!content) return { existed };
    const summary = publicSummary({ ...summarize(content, entry?.stamp ?? { size: 0, mtimeMs: 0, ino: 0 }) });
    return { existed: existed || slot !== undefined, deleted: { conversation: content, summary } };
  }

  /**
   * Conversations whose title or any message contains `query` (case-insensitive), most recent first.
   * Reads every conversation file: meant for a search box, not for every keystroke of a large history.
   */
  async search(query: string): Promise<{ hits: SearchHit[]; problems: StoreProblem[] }> {
    const q = query.trim();
    const { conversations, problems } = await this.list();
    if (!q) return { hits: [], problems };
    const pattern = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'iu');
    const hits: SearchHit[] = [];
    for (const summary of conversations) {
      const loaded = await this.load(summary.id);
      problems.push(...loaded.problems);
      const conversation = loaded.conversation;
      if (!conversation) continue;
      const inTitle = pattern.test(titleOf(conversation));
      const matches: SearchMatch[] = [];
      for (const m of conversation.messages) {
        if (matches.length >= MAX_MATCHES_PER_CONVERSATION) break;
        const found = pattern.exec(m.text);
        if (found) matches.push({ messageId: m.id, role: m.role, snippet: snippet(m.text, found.index, found[0].length) });
      }
      if (inTitle || matches.length > 0) hits.push({ summary, inTitle, matches });
    }
    return { hits, problems };
  }

  /** Bytes used by the store's directory: conversations, index, files kept aside, unfinished writes. */
  async usage(): Promise<number> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if (isMissing(err)) return 0;
      throw err;
    }
    let total = 0;
    for (const name of names) {
      try {
        const st = await fs.stat(path.join(this.dir, name));
        if (st.isFile()) total += st.size;
      } catch {
        // Gone in the meantime.
      }
    }
    return total;
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
      for (const slot of this.slots.values()) {
        if (slot.timer !== undefined) this.clock.clearTimeout(slot.timer);
        slot.timer = undefined;
      }
    }
  }

  private takeUnreported(): StoreProblem[] {
    const problems = this.unreported;
    this.unreported = [];
    return problems;
  }
}

function snippet(text: string, at: number, length: number): string {
  const start = Math.max(0, at - SNIPPET_CONTEXT);
  const end = Math.min(text.length, at + length + SNIPPET_CONTEXT);
  const body = text.slice(start, end).replace(/\s+/g, ' ').trim();
  return `${start > 0 ? '…' : ''}${body}${end < text.length ? '…' : ''}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, we may not signal it.
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** Windows refuses a rename over a file another process (a virus scanner, an indexer) has open: retry briefly. */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rename(from, to);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= 5 || process.platform !== 'win32' || !(code === 'EPERM' || code === 'EACCES' || code === 'EBUSY')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
    }
  }
}
