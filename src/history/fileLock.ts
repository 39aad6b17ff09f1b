/**
 * A lock file that keeps a read-check-write of one file apart across processes (two editor windows share
 * one history folder when neither has a folder open).
 *
 * `<file>.lock` holds `<pid> <token>`. It is made whole before it appears (written as a temp file, then
 * hard-linked to its name, which fails if it exists), so a lock file always names its owner. A lock whose
 * owner is gone, or that is older than `staleMs`, is broken. Writes under it take milliseconds, so no
 * heartbeat is needed.
 *
 * Not `proper-lockfile`: it pulls in `graceful-fs`, which patches the shared `fs.close`, and `signal-exit`,
 * which replaces `process.emit`/`process.reallyExit`, both in an extension host every extension shares.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isMissing } from './atomicFile';

export const LOCK_SUFFIX = '.lock';
export const DEFAULT_STALE_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 15_000;

let counter = 0;

export interface LockOptions {
  staleMs?: number;
  /** Give up waiting after this long (the write fails and is retried on the next checkpoint). */
  timeoutMs?: number;
}

/** Runs `fn` while holding `<file>.lock`. */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const token = await acquire(`${file}${LOCK_SUFFIX}`, opts.staleMs ?? DEFAULT_STALE_MS, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    return await fn();
  } finally {
    await release(`${file}${LOCK_SUFFIX}`, token);
  }
}

async function acquire(lock: string, staleMs: number, timeoutMs: number): Promise<string> {
  const token = `${process.pid} ${randomBytes(8).toString('hex')}`;
  const temp = `${lock}.tmp-${process.pid}-${++counter}`;
  await fs.writeFile(temp, token, { mode: 0o600, flag: 'wx' });
  const deadline = Date.now() + timeoutMs;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.link(temp, lock);
        return token;
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw err;
      }
      if (await breakIfStale(lock, staleMs)) continue;
      if (Date.now() >= deadline) throw new Error(`${lock} is held by another process`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, 2 + attempt * 2)));
    }
  } finally {
    await fs.unlink(temp).catch(() => undefined);
  }
}

async function release(lock: string, token: string): Promise<void> {
  try {
    // Only our own: a lock broken as stale may belong to someone else by now.
    if ((await fs.readFile(lock, 'utf8')) === token) await fs.unlink(lock);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

/** Removes the lock if its owner is gone or it is older than `staleMs`; whether it did (or it was gone). */
export async function breakIfStale(lock: string, staleMs = DEFAULT_STALE_MS): Promise<boolean> {
  let held: string;
  let mtimeMs: number;
  try {
    held = await fs.readFile(lock, 'utf8');
    mtimeMs = (await fs.stat(lock)).mtimeMs;
  } catch (err) {
    if (isMissing(err)) return true;
    throw err;
  }
  const pid = Number(held.split(' ')[0]);
  const ownerGone = Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid);
  if (!ownerGone && Date.now() - mtimeMs < staleMs) return false;
  // Moved aside first, so that of two processes breaking it at once only one removes it.
  const aside = `${lock}.stale-${process.pid}-${++counter}`;
  try {
    await fs.rename(lock, aside);
  } catch (err) {
    if (isMissing(err)) return true;
    throw err;
  }
  if ((await fs.readFile(aside, 'utf8').catch(() => held)) !== held) {
    // A fresh lock was taken between our read and the rename: give it back.
    await fs.link(aside, lock).catch(() => undefined);
  }
  await fs.unlink(aside).catch(() => undefined);
  return true;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, we may not signal it.
    return (err as { code?: string }).code === 'EPERM';
  }
}
