/**
 * The store's directory and what is in it:
 *
 *   conversation-<id>.json             one per conversation: `{ "version": 2, "conversation": {…} }`
 *   index.json                         the history list's cache (see `conversationIndex.ts`)
 *   <file>.tmp-<pid>-<n>               a write in progress (or left by a process that died mid-write)
 *   <file>.corrupt-<timestamp>         a file that could not be read, kept aside and reported
 *
 * Reading a conversation file checks it through `migrate`; a file that is unreadable (bad JSON, wrong
 * shape, truncated by something else) is moved aside and reported as a `StoreProblem`, never dropped and
 * never fatal. A file from a newer version of the extension is reported and left where it is.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { errorText, isMissing, readWithStamp, renameWithRetry, writeAtomic, type Stamp } from './atomicFile';
import { migrate, type Conversation } from './conversationFormat';
import { breakIfStale, LOCK_SUFFIX, processAlive, withFileLock } from './fileLock';
import { isObject } from './storedMessage';
import type { StoreProblem } from './storeTypes';
import type { WallClock } from '../shared/clock';
import type { Logger } from '../shared/log';

export const INDEX_FILE = 'index.json';
const FILE_PREFIX = 'conversation-';
const FILE_SUFFIX = '.json';
export const CONVERSATION_FILE = /^conversation-([A-Za-z0-9_-]{1,128})\.json$/;
/** A temp file of another live process is left alone unless it is this old (that process is stuck). */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** A lock file being broken: `<file>.lock.stale-<pid>-<n>`. */
const STALE_LOCK = /\.lock\.stale-(\d+)-\d+$/;
export const isLockFile = (name: string) => name.endsWith(LOCK_SUFFIX) || STALE_LOCK.test(name);

export const fileNameOf = (id: string) => `${FILE_PREFIX}${id}${FILE_SUFFIX}`;

export interface ReadConversation {
  conversation?: Conversation;
  stamp?: Stamp;
  /** The file's `rev` (0 when it has none) and `writeId`, when it was read whole. */
  rev?: number;
  writeId?: string;
  problem?: StoreProblem;
}

export class ConversationFiles {
  private dirReady: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly clock: WallClock,
    private readonly log: Logger,
  ) {}

  pathOf(name: string): string {
    return path.join(this.dir, name);
  }

  /** Creates the directory (once; retried on the next call if it failed). */
  ensureDir(): Promise<void> {
    this.dirReady ??= fs.mkdir(this.dir, { recursive: true }).then(
      () => undefined,
      (err) => {
        this.dirReady = undefined;
        throw err;
      },
    );
    return this.dirReady;
  }

  /** Replaces `name` atomically (see `atomicFile.ts`). */
  async write(name: string, data: string): Promise<Stamp> {
    await this.ensureDir();
    return writeAtomic(this.pathOf(name), data);
  }

  /** Reads and checks one conversation file. Corrupt files are moved aside; every outcome is reported. */
  async readConversation(id: string): Promise<ReadConversation> {
    const name = fileNameOf(id);
    let text: string;
    let stamp: Stamp;
    try {
      ({ text, stamp } = await readWithStamp(this.pathOf(name)));
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
    if (result.conversation.id !== id)
      return { problem: await this.moveAside(name, `holds conversation ${JSON.stringify(result.conversation.id)}, not ${id}`) };
    const rev = isObject(raw) && Number.isSafeInteger(raw.rev) ? (raw.rev as number) : 0;
    const writeId = isObject(raw) && typeof raw.writeId === 'string' ? raw.writeId : undefined;
    return { conversation: result.conversation, stamp, rev, ...(writeId ? { writeId } : {}) };
  }

  /** Runs `fn` holding the lock of `name` against every other process (see `fileLock.ts`). */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    await this.ensureDir();
    return withFileLock(this.pathOf(name), fn);
  }

  /** A lock (or a lock set aside while being broken) left by a process that died holding it. */
  async removeStaleLock(name: string): Promise<void> {
    try {
      if (name.endsWith(LOCK_SUFFIX)) {
        await breakIfStale(this.pathOf(name));
        return;
      }
      const aside = STALE_LOCK.exec(name);
      if (aside && Number(aside[1]) !== process.pid && !processAlive(Number(aside[1]))) await fs.unlink(this.pathOf(name));
    } catch (err) {
      if (!isMissing(err)) this.log.warn(`Conversation store: could not remove ${name}: ${errorText(err)}`);
    }
  }

  /** Renames a file that cannot be read to `<name>.corrupt-<timestamp>` and describes what happened. */
  async moveAside(name: string, reason: string): Promise<StoreProblem> {
    const stamp = new Date(this.clock.now()).toISOString().replace(/[:.]/g, '-');
    const from = this.pathOf(name);
    for (let n = 0; n < 100; n++) {
      const aside = `${name}.corrupt-${stamp}${n ? `-${n}` : ''}`;
      try {
        await fs.access(this.pathOf(aside));
        continue;
      } catch {
        // Free name.
      }
      try {
        await renameWithRetry(from, this.pathOf(aside));
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
  async removeStaleTemp(name: string, pid: number): Promise<void> {
    if (pid === process.pid) return;
    const file = this.pathOf(name);
    try {
      const st = await fs.stat(file);
      if (processAlive(pid) && this.clock.now() - st.mtimeMs < STALE_TEMP_MS) return;
      await fs.unlink(file);
      this.log.info(`Conversation store: removed ${name}, an unfinished write of a process that is gone`);
    } catch (err) {
      if (!isMissing(err)) this.log.warn(`Conversation store: could not remove ${name}: ${errorText(err)}`);
    }
  }

  /** Removes a file; whether it was there. */
  async remove(name: string): Promise<boolean> {
    try {
      await fs.unlink(this.pathOf(name));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Bytes used by the directory: conversations, index, files kept aside, unfinished writes. */
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
        const st = await fs.stat(this.pathOf(name));
        if (st.isFile()) total += st.size;
      } catch {
        // Gone in the meantime.
      }
    }
    return total;
  }
}
