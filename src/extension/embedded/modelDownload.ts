import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, statfs } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errorCode } from '../../shared/errors';
import { formatBytes } from '../../streaming/providers/embedded/modelFiles';

export type DownloadErrorKind = 'url' | 'network' | 'http' | 'diskFull' | 'checksum' | 'notGguf' | 'tooBig';

export class DownloadError extends Error {
  constructor(
    readonly kind: DownloadErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface DownloadOptions {
  url: string;
  folder: string;
  signal: AbortSignal;
  /** Bytes on disk so far (resumed bytes included) and the whole size when the server says. */
  onProgress?(received: number, total: number | undefined): void;
  /** Resume attempts after a dropped connection, each from where the file ends. */
  retries?: number;
  /** A model larger than this is refused (bytes). */
  maxBytes?: number;
  fetch?: typeof fetch;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** The sha256 the source gave and the file matched; undefined when it gave none. */
  sha256?: string;
}

const MAX_REDIRECTS = 5;
const DEFAULT_MAX_BYTES = 128 * 1024 ** 3;
const SHA256 = /^[0-9a-f]{64}$/;

/** A Hugging Face page URL (…/blob/…) names the file's download URL (…/resolve/…). */
export function downloadUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new DownloadError('url', `'${raw}' is not a URL. Paste the address of a .gguf file (for example from huggingface.co).`);
  }
  // Plain HTTP only to this machine (a local mirror, the tests); anything else must be HTTPS.
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local))
    throw new DownloadError('url', `Models are downloaded over HTTPS only; '${url.origin}' is not.`);
  if (url.hostname === 'huggingface.co') url.pathname = url.pathname.replace(/^(\/[^/]+\/[^/]+)\/blob\//, '$1/resolve/');
  return url;
}

/** The file name a URL saves as: its last path segment, which must be a .gguf. */
export function fileNameOf(url: URL): string {
  const name = decodeURIComponent(basename(url.pathname));
  if (!/^[^/\\]+\.gguf$/i.test(name) || name.startsWith('.'))
    throw new DownloadError('url', `The URL does not name a .gguf file ('${name}'). Use the address of the model file itself.`);
  return name;
}

/**
 * Downloads a GGUF into `folder` as `<name>.part`, renamed when complete and checked. A dropped connection, or an
 * earlier run that ended midway, continues from the bytes already there (HTTP Range); Cancel deletes the part.
 * The sha256 is checked when the source gives one: Hugging Face sends it as `x-linked-etag` for LFS files.
 */
export async function downloadModel(options: DownloadOptions): Promise<DownloadResult> {
  const url = downloadUrl(options.url);
  const name = fileNameOf(url);
  const path = join(options.folder, name);
  const part = `${path}.part`;
  await mkdir(options.folder, { recursive: true });
  if (await exists(path)) throw new DownloadError('url', `${name} is already in ${options.folder}.`);
  const doFetch = options.fetch ?? fetch;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let sha256: string | undefined;
  let total: number | undefined;
  let attempts = 0;
  try {
    for (;;) {
      const have = (await stat(part).catch(() => undefined))?.size ?? 0;
      let response: Response;
      try {
        const found = await request(doFetch, url, have, options.signal);
        response = found.response;
        sha256 ??= found.sha256;
      } catch (err) {
        if (options.signal.aborted || err instanceof DownloadError || attempts++ >= (options.retries ?? 3))
          throw wrapNetwork(err, options.signal);
        continue;
      }
      if (response.status === 416 && total !== undefined && have === total) break;
      if (response.status !== 200 && response.status !== 206) {
        await response.body?.cancel();
        throw new DownloadError('http', `The server answered HTTP ${response.status} for ${url.host}${url.pathname}.`);
      }
      // A server that ignores Range sends everything again: start over rather than append.
      const resumed = response.status === 206 ? have : 0;
      total = totalSize(response, resumed) ?? total;
      if (total !== undefined && total > maxBytes)
        throw new DownloadError('tooBig', `${name} is ${formatBytes(total)}, more than the ${formatBytes(maxBytes)} allowed.`);
      if (total !== undefined) await ensureSpace(options.folder, total - resumed, name);
      let received = resumed;
      options.onProgress?.(received, total);
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          received += chunk.length;
          if (received > maxBytes) return done(new DownloadError('tooBig', `${name} is larger than the ${formatBytes(maxBytes)} allowed.`));
          options.onProgress?.(received, total);
          done(null, chunk);
        },
      });
      try {
        await pipeline(
          Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
          counter,
          createWriteStream(part, { flags: resumed ? 'a' : 'w' }),
          { signal: options.signal },
        );
      } catch (err) {
        if (errorCode(err) === 'ENOSPC')
          throw new DownloadError(
            'diskFull',
            `The disk is full: ${name} did not fit in ${options.folder}. Free some space and download again; it continues where it stopped.`,
          );
        if (options.signal.aborted || err instanceof DownloadError || attempts++ >= (options.retries ?? 3))
          throw wrapNetwork(err, options.signal);
        continue;
      }
      if (total === undefined || received >= total) break;
      if (attempts++ >= (options.retries ?? 3))
        throw new DownloadError(
          'network',
          `The connection ended after ${formatBytes(received)} of ${formatBytes(total)}. Download again to continue.`,
        );
    }
    const bytes = (await stat(part)).size;
    if (sha256) {
      const actual = await hashFile(part, options.signal);
      if (actual !== sha256) {
        await rm(part, { force: true });
        throw new DownloadError(
          'checksum',
          `${name} does not match the checksum its source gives (sha256 ${sha256.slice(0, 12)}…, got ${actual.slice(0, 12)}…), so it was deleted. Download it again.`,
        );
      }
    }
    if (!(await isGguf(part))) {
      await rm(part, { force: true });
      throw new DownloadError('notGguf', `What ${url.host} sent is not a GGUF model file, so it was deleted. Check the URL.`);
    }
    await rename(part, path);
    return { path, bytes, ...(sha256 ? { sha256 } : {}) };
  } catch (err) {
    // Cancel and a bad file leave nothing behind; a network failure keeps the part to continue later.
    if (options.signal.aborted) await rm(part, { force: true });
    throw err;
  }
}

/** Follows redirects by hand: Hugging Face puts the file's sha256 on its own redirect, not on the CDN's answer. */
async function request(
  doFetch: typeof fetch,
  url: URL,
  from: number,
  signal: AbortSignal,
): Promise<{ response: Response; sha256?: string }> {
  let sha256: string | undefined;
  let at = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await doFetch(at, { redirect: 'manual', signal, headers: from > 0 ? { range: `bytes=${from}-` } : {} });
    sha256 ??= shaOf(response.headers);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      at = new URL(location, at);
      if (at.protocol !== 'https:' && at.protocol !== url.protocol)
        throw new DownloadError('url', `The download was redirected to ${at.origin}, which is not HTTPS.`);
      continue;
    }
    return { response, ...(sha256 ? { sha256 } : {}) };
  }
  throw new DownloadError('http', `Too many redirects from ${url.host}.`);
}

function shaOf(headers: Headers): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const value = headers.get(name)?.replace(/^W\//, '').replace(/"/g, '').toLowerCase();
    if (value && SHA256.test(value)) return value;
  }
  return undefined;
}

function totalSize(response: Response, resumed: number): number | undefined {
  const range = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  if (range) return Number(range[1]);
  const length = Number(response.headers.get('content-length'));
  return Number.isFinite(length) && length > 0 ? resumed + length : undefined;
}

async function ensureSpace(folder: string, needed: number, name: string): Promise<void> {
  const fs = await statfs(folder).catch(() => undefined);
  if (fs && fs.bavail * fs.bsize < needed)
    throw new DownloadError(
      'diskFull',
      `${name} needs ${formatBytes(needed)} more and ${folder} has ${formatBytes(fs.bavail * fs.bsize)} free.`,
    );
}

function wrapNetwork(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted || err instanceof DownloadError) return err;
  const code = errorCode(err);
  return new DownloadError(
    'network',
    `The download failed (${code ?? (err as Error)?.message ?? err}). Check the connection and download again; it continues where it stopped.`,
  );
}

async function hashFile(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash, { signal });
  return hash.digest('hex');
}

async function isGguf(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.toString('latin1') === 'GGUF';
  } finally {
    await file.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return !!(await stat(path).catch(() => undefined));
}
