/**
 * Replacing a file so that a reader (or a crash at any instant) sees the old content or the new, never a
 * mix: write a temp file in the same directory, fsync it, rename it over the target, fsync the directory.
 * Temp files are named `<target>.tmp-<pid>-<n>`; one left behind by a process that died mid-write can go
 * (the target is intact), which `TEMP_FILE` lets the owner of the directory recognise.
 */
import { promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

/** Identifies one version of a file well enough to tell whether it changed since it was read. */
export interface Stamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

export const stampOf = (st: Stats): Stamp => ({ size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
export const sameStamp = (a: Stamp, b: Stamp) => a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;

/** A temp file: the name it will become, the writer's pid, a counter. */
export const TEMP_FILE = /^(.+)\.tmp-(\d+)-(\d+)$/;

/** Per process, so two writers of one file in this process never share a temp name. */
let tempCounter = 0;

/** Writes `data` to `file` atomically (see the header); returns the stamp of the new file. */
export async function writeAtomic(file: string, data: string): Promise<Stamp> {
  const temp = `${file}.tmp-${process.pid}-${++tempCounter}`;
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx', 0o600);
    await handle.writeFile(data, 'utf8');
    await handle.sync();
    const stamp = stampOf(await handle.stat());
    await handle.close();
    handle = undefined;
    await renameWithRetry(temp, file);
    await syncDir(path.dirname(file));
    return stamp;
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** Reads a whole file with the stamp of what was read (both from one open handle). */
export async function readWithStamp(file: string): Promise<{ text: string; stamp: Stamp }> {
  const handle = await fs.open(file, 'r');
  try {
    const stamp = stampOf(await handle.stat());
    const text = await handle.readFile('utf8');
    return { text, stamp };
  } finally {
    await handle.close();
  }
}

/** Makes a rename in `dir` durable. Not possible on every platform (Windows): then the rename has to do. */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM on Windows, EINVAL on some file systems.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Windows refuses a rename over a file another process (a virus scanner, an indexer) has open: retry briefly. */
export async function renameWithRetry(from: string, to: string): Promise<void> {
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

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
export const isMissing = (err: unknown) => (err as { code?: string })?.code === 'ENOENT';
