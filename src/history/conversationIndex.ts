/**
 * The history index, `index.json`: `{ "version": 1, "conversations": [summary + file stamp, …] }`.
 *
 * It is a cache so the history list loads without reading every conversation: each entry carries the
 * size, mtime and inode of the file it summarises, and `reconcile` re-reads only the files whose stamp
 * differs (or that the index does not know), dropping entries whose file is gone. So a missing, corrupt
 * or stale index (another window sharing global storage, a crash between a checkpoint and the index
 * write) costs a few reads and is rewritten, never a lost conversation. Before writing it, entries another
 * process added since this one last read or wrote it are taken over, so one window does not drop another's.
 */
import { promises as fs, type Stats } from 'node:fs';
import { errorText, isMissing, sameStamp, stampOf, TEMP_FILE, type Stamp } from './atomicFile';
import { ID_PATTERN, titleOf, type Conversation, type StoredModel } from './conversationFormat';
import { CONVERSATION_FILE, fileNameOf, INDEX_FILE, isLockFile, type ConversationFiles } from './conversationFiles';
import { isObject, isTime } from './storedMessage';
import { Coalescer } from './serial';
import type { StoreProblem } from './storeTypes';
import type { Logger } from '../shared/log';

export const INDEX_FORMAT_VERSION = 1;

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
  /** The hashes of its images (`ImageBlobs`), each once; absent when it has none. Their bytes are not in `bytes`. */
  images?: string[];
}

/** On disk `images` is always there (empty when none): an entry without it is from before images were indexed. */
interface IndexEntry extends ConversationSummary {
  images: string[];
  stamp: Stamp;
}

const HASH = /^[0-9a-f]{64}$/;

/** The distinct images of a conversation's questions. */
export function imagesOf(c: Conversation): string[] {
  return [...new Set(c.messages.flatMap((m) => m.images?.map((i) => i.hash) ?? []))];
}

/** What `reconcile` must leave alone. */
export interface ReconcileGuards {
  /** Deleted in this process (its file may still be there for a moment): not listed. */
  skip(id: string): boolean;
  /** Being written by this process: its entry stays even if the file is not there yet. */
  keep(id: string): boolean;
}

const NO_STAMP: Stamp = { size: 0, mtimeMs: 0, ino: 0 };

function summarize(c: Conversation, stamp: Stamp): IndexEntry {
  return {
    id: c.id,
    title: titleOf(c),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    ...(c.model ? { model: { ...c.model } } : {}),
    messageCount: c.messages.length,
    bytes: stamp.size,
    images: imagesOf(c),
    stamp,
  };
}

function publicSummary(e: IndexEntry): ConversationSummary {
  const { stamp: _stamp, images, ...summary } = e;
  return images.length ? { ...summary, images: [...images] } : summary;
}

function checkIndex(raw: unknown): IndexEntry[] | string {
  if (!isObject(raw)) return 'not a JSON object';
  if (raw.version !== INDEX_FORMAT_VERSION) return `unknown index version ${JSON.stringify(raw.version)}`;
  if (!Array.isArray(raw.conversations)) return 'no conversations array';
  const entries: IndexEntry[] = [];
  for (const [i, e] of raw.conversations.entries()) {
    if (
      !isObject(e) ||
      typeof e.id !== 'string' ||
      !ID_PATTERN.test(e.id) ||
      typeof e.title !== 'string' ||
      !isTime(e.createdAt) ||
      !isTime(e.updatedAt) ||
      !Number.isInteger(e.messageCount) ||
      !isTime(e.bytes) ||
      !isObject(e.stamp) ||
      !isTime(e.stamp.size) ||
      !isTime(e.stamp.mtimeMs) ||
      !isTime(e.stamp.ino) ||
      (e.model !== undefined && (!isObject(e.model) || typeof e.model.endpoint !== 'string'))
    ) {
      return `entry ${i} is malformed`;
    }
    // Written without image hashes (an older index, or bad ones): the stamp that never matches has the file read again.
    const knowsImages = Array.isArray(e.images) && e.images.every((h) => typeof h === 'string' && HASH.test(h));
    entries.push({ ...(e as unknown as IndexEntry), ...(knowsImages ? {} : { images: [], stamp: NO_STAMP }) });
  }
  return entries;
}

/** The index in memory (best knowledge of the files, by id) and on disk. */
export class ConversationIndex {
  private readonly known = new Map<string, IndexEntry>();
  /** Whether `known` has been brought in line with the directory (then it is complete). */
  reconciled = false;
  private dirty = false;
  /** Newer-format files already reported (reported once per process, left in place). */
  private readonly reportedNewer = new Set<string>();
  private readonly writer = new Coalescer(() => this.writeNow());
  /** `index.json` as this process last read or wrote it: when it differs, another process wrote it. */
  private diskStamp: Stamp | undefined;
  /** Dropped here since the last write: not taken back from another process's index. */
  private readonly dropped = new Set<string>();

  constructor(
    private readonly files: ConversationFiles,
    private readonly log: Logger,
  ) {}

  ids(): string[] {
    return [...this.known.keys()];
  }

  summary(id: string): ConversationSummary | undefined {
    const entry = this.known.get(id);
    return entry && publicSummary(entry);
  }

  /** A summary of `c` as it is now (its size as last written, if it was). */
  summarize(c: Conversation): ConversationSummary {
    return publicSummary(summarize(c, this.known.get(c.id)?.stamp ?? NO_STAMP));
  }

  /** `c` was just written as the file with this stamp. */
  recordWrite(c: Conversation, stamp: Stamp): void {
    this.known.set(c.id, summarize(c, stamp));
    this.dropped.delete(c.id);
    this.dirty = true;
  }

  /** Drops an entry (the file is gone or unreadable); whether there was one. */
  forget(id: string): boolean {
    if (!this.known.delete(id)) return false;
    this.dropped.add(id);
    this.dirty = true;
    return true;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /** Brings the entries in line with the directory (see the header). Run under the store's mutex. */
  async reconcile(problems: StoreProblem[], guards: ReconcileGuards): Promise<void> {
    await this.files.ensureDir();
    if (!this.reconciled) await this.read(problems);
    const names = await fs.readdir(this.files.dir);
    const present = new Set<string>();
    for (const name of names) {
      if (isLockFile(name)) {
        await this.files.removeStaleLock(name);
        continue;
      }
      const temp = TEMP_FILE.exec(name);
      if (temp) {
        await this.files.removeStaleTemp(name, Number(temp[2]));
        continue;
      }
      const match = CONVERSATION_FILE.exec(name);
      if (!match) continue;
      const id = match[1];
      if (guards.skip(id)) continue;
      let st: Stats;
      try {
        st = await fs.stat(this.files.pathOf(name));
      } catch (err) {
        if (!isMissing(err)) problems.push({ file: name, kind: 'unreadable', reason: `cannot be read: ${errorText(err)}` });
        continue;
      }
      const entry = this.known.get(id);
      if (entry && sameStamp(entry.stamp, stampOf(st))) {
        present.add(id);
        continue;
      }
      const { conversation, stamp, problem } = await this.files.readConversation(id);
      if (problem) {
        if (problem.kind !== 'newerVersion' || !this.reportedNewer.has(`${name}:${st.mtimeMs}`)) problems.push(problem);
        if (problem.kind === 'newerVersion') this.reportedNewer.add(`${name}:${st.mtimeMs}`);
        continue;
      }
      if (conversation && stamp) {
        present.add(id);
        this.recordWrite(conversation, stamp);
      }
    }
    for (const id of [...this.known.keys()]) {
      if (present.has(id) || guards.keep(id)) continue;
      this.forget(id);
    }
    this.reconciled = true;
  }

  /** Writes the index if anything changed since the last write. A failure is logged, not thrown: the next list() repairs it. */
  async save(): Promise<void> {
    if (this.dirty && this.reconciled) await this.writer.run().catch(() => undefined);
  }

  private async read(problems: StoreProblem[]): Promise<void> {
    let text: string;
    try {
      const st = await fs.stat(this.files.pathOf(INDEX_FILE));
      text = await fs.readFile(this.files.pathOf(INDEX_FILE), 'utf8');
      this.diskStamp = stampOf(st);
    } catch (err) {
      if (!isMissing(err))
        problems.push({
          file: INDEX_FILE,
          kind: 'unreadable',
          reason: `cannot be read: ${errorText(err)}; rebuilt from the conversation files`,
        });
      else this.log.info('Conversation store: no index yet; building it from the conversation files');
      this.dirty = true;
      return;
    }
    let entries: IndexEntry[] | string;
    try {
      entries = checkIndex(JSON.parse(text));
    } catch (err) {
      entries = `not valid JSON (${errorText(err)})`;
    }
    if (typeof entries === 'string') {
      const problem = await this.files.moveAside(INDEX_FILE, `(the history index) is ${entries}; rebuilt from the conversation files`);
      problems.push(problem);
      this.dirty = true;
      return;
    }
    for (const e of entries) if (!this.known.has(e.id)) this.known.set(e.id, e);
  }

  /** Entries another process wrote into `index.json` since we last read or wrote it, whose file is there. */
  private async takeOthersEntries(): Promise<void> {
    let text: string;
    try {
      const st = await fs.stat(this.files.pathOf(INDEX_FILE));
      if (this.diskStamp && sameStamp(this.diskStamp, stampOf(st))) return;
      text = await fs.readFile(this.files.pathOf(INDEX_FILE), 'utf8');
    } catch {
      return;
    }
    let entries: IndexEntry[] | string;
    try {
      entries = checkIndex(JSON.parse(text));
    } catch {
      return;
    }
    if (typeof entries === 'string') return;
    for (const e of entries) {
      if (this.known.has(e.id) || this.dropped.has(e.id)) continue;
      try {
        await fs.stat(this.files.pathOf(fileNameOf(e.id)));
      } catch {
        continue;
      }
      this.known.set(e.id, e);
    }
  }

  private async writeNow(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await this.files.withLock(INDEX_FILE, async () => {
        await this.takeOthersEntries();
        const conversations = [...this.known.values()].sort((a, b) => b.updatedAt - a.updatedAt);
        this.diskStamp = await this.files.write(INDEX_FILE, JSON.stringify({ version: INDEX_FORMAT_VERSION, conversations }));
        this.dropped.clear();
      });
    } catch (err) {
      this.dirty = true;
      this.log.error(`Conversation store: writing the index failed: ${errorText(err)}`);
      throw err;
    }
  }
}
