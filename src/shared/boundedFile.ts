/**
 * Reading a file the extension opens by itself (instructions, mcp.json, an envFile, an attachment), when
 * the file may come from a repository the user just cloned: it must be a regular file (not /dev/zero, a
 * FIFO or a socket, whose reads never end), small, and, when asked, inside given folders after symlinks
 * are resolved (so `AGENTS.md -> ~/.ssh/id_rsa` is not read). Plain node fs: no VS Code here.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export type BoundedReadRefusal = { ok: false; code: 'missing' | 'outside' | 'notRegular' | 'tooLarge' | 'unreadable'; reason: string };
export type BoundedRead = { ok: true; bytes: Uint8Array; truncated: boolean; realPath: string } | BoundedReadRefusal;

export interface BoundedReadOptions {
  maxBytes: number;
  /** The file must resolve (symlinks followed) inside one of these folders; unchecked when absent. */
  within?: readonly string[];
  /** Over maxBytes: read the first maxBytes and say so, instead of refusing. */
  truncate?: boolean;
  signal?: AbortSignal;
}

const CHUNK = 64 * 1024;
// Opening a FIFO for reading otherwise blocks until a writer comes, before fstat can tell what it is.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

export async function readBoundedFile(path: string, opts: BoundedReadOptions): Promise<BoundedRead> {
  opts.signal?.throwIfAborted();
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? { ok: false, code: 'missing', reason: `${path} does not exist` }
      : { ok: false, code: 'unreadable', reason: `${path} could not be read (${code ?? (err as Error).message})` };
  }
  if (opts.within && !(await insideAny(real, opts.within))) {
    return { ok: false, code: 'outside', reason: `${path} is a link to ${real}, outside the workspace` };
  }
  opts.signal?.throwIfAborted();
  let handle;
  try {
    handle = await open(real, OPEN_FLAGS);
  } catch (err) {
    return {
      ok: false,
      code: 'unreadable',
      reason: `${path} could not be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    };
  }
  try {
    // The type and size of what was opened, not of what the path named a moment earlier.
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, code: 'notRegular', reason: `${path} is not a regular file` };
    if (stat.size > opts.maxBytes && !opts.truncate) return tooLarge(path, opts.maxBytes);
    // The size can change while reading (a growing log): stop at the cap whatever stat said.
    const buffer = Buffer.alloc(Math.min(stat.size, opts.maxBytes) + 1);
    let length = 0;
    for (;;) {
      opts.signal?.throwIfAborted();
      const want = Math.min(CHUNK, buffer.length - length);
      if (want === 0) break;
      const { bytesRead } = await handle.read(buffer, length, want, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    const over = length > opts.maxBytes;
    if (over && !opts.truncate) return tooLarge(path, opts.maxBytes);
    return {
      ok: true,
      bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, Math.min(length, opts.maxBytes)),
      truncated: over || stat.size > opts.maxBytes,
      realPath: real,
    };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Whether `path`, symlinks resolved, is one of `folders` (resolved too) or inside one. A missing file is judged by its parent. */
export async function isInside(path: string, folders: readonly string[]): Promise<boolean> {
  return insideAny(await realpathOrParent(path), folders);
}

async function insideAny(real: string, folders: readonly string[]): Promise<boolean> {
  for (const folder of folders) {
    const root = await realpath(folder).catch(() => resolve(folder));
    const rel = relative(root, real);
    if (rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))) return true;
  }
  return false;
}

async function realpathOrParent(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = resolve(path, '..');
    return parent === resolve(path) ? resolve(path) : resolve(await realpathOrParent(parent), relative(parent, resolve(path)));
  }
}

function tooLarge(path: string, maxBytes: number): BoundedReadRefusal {
  return { ok: false, code: 'tooLarge', reason: `${path} is larger than ${formatBytes(maxBytes)}` };
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}
