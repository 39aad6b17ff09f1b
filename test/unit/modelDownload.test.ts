/**
 * Model downloads against a real local HTTP server: progress, resume after a dropped connection (HTTP Range),
 * Cancel, the sha256 check with Hugging Face's headers (a redirect carrying x-linked-etag), and refusals.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DownloadError, downloadModel, downloadUrl } from '../../src/extension/embedded/modelDownload';

const MODEL = Buffer.concat([Buffer.from('GGUF'), randomBytes(3 * 1024 * 1024)]);
const SHA = createHash('sha256').update(MODEL).digest('hex');

interface Behaviour {
  /** Close the socket after this many bytes of the body, on the first request only. */
  dropAfter?: number;
  /** Send this sha256 on the redirect, as Hugging Face does. */
  linkedSha?: string;
  /** Send the body slowly (1 chunk per tick), so Cancel lands in the middle. */
  slow?: boolean;
  body?: Buffer;
}

describe('downloading a GGUF model', () => {
  let server: Server;
  let base: string;
  let folder: string;
  let behaviour: Behaviour = {};
  const requests: Array<{ path: string; range?: string }> = [];

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      requests.push({ path: req.url!, range: req.headers.range });
      if (req.url!.startsWith('/org/repo/resolve/')) {
        res.writeHead(302, {
          location: `/cdn/${req.url!.split('/').pop()}`,
          ...(behaviour.linkedSha ? { 'x-linked-etag': `"${behaviour.linkedSha}"` } : {}),
        });
        return res.end();
      }
      if (!req.url!.startsWith('/cdn/')) return res.writeHead(404).end('not found');
      const body = behaviour.body ?? MODEL;
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const slice = body.subarray(from);
      res.writeHead(from ? 206 : 200, {
        'content-length': slice.length,
        ...(from ? { 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` } : {}),
      });
      const drop = behaviour.dropAfter;
      if (drop !== undefined) {
        behaviour = { ...behaviour, dropAfter: undefined };
        res.write(slice.subarray(0, drop), () => res.socket?.destroy());
        return;
      }
      if (behaviour.slow) {
        let at = 0;
        const next = () => {
          if (res.destroyed) return;
          if (at >= slice.length) return res.end();
          res.write(slice.subarray(at, (at += 16 * 1024)), () => setImmediate(next));
        };
        return next();
      }
      res.end(slice);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());
  beforeEach(() => {
    behaviour = {};
    requests.length = 0;
    folder = mkdtempSync(join(tmpdir(), 'model-chat-download-'));
  });

  it('follows the redirect, reports progress to the end, and checks the sha256 the redirect gave', async () => {
    behaviour = { linkedSha: SHA };
    const progress: number[] = [];
    const result = await downloadModel({
      url: `${base}/org/repo/resolve/main/small.gguf`,
      folder,
      signal: new AbortController().signal,
      onProgress: (received, total) => {
        assert.equal(total, MODEL.length);
        progress.push(received);
      },
    });
    assert.deepEqual(result, { path: join(folder, 'small.gguf'), bytes: MODEL.length, sha256: SHA });
    assert.ok(readFileSync(result.path).equals(MODEL));
    assert.equal(progress[0], 0);
    assert.equal(progress[progress.length - 1], MODEL.length);
    assert.ok(
      progress.every((p, i) => i === 0 || p >= progress[i - 1]),
      'progress only grows',
    );
    assert.equal(existsSync(`${result.path}.part`), false);
    rmSync(folder, { recursive: true });
  });

  it('continues after a dropped connection from where it stopped (Range), and the whole file checks out', async () => {
    behaviour = { linkedSha: SHA, dropAfter: 1024 * 1024 };
    const result = await downloadModel({ url: `${base}/org/repo/resolve/main/small.gguf`, folder, signal: new AbortController().signal });
    assert.ok(readFileSync(result.path).equals(MODEL));
    const ranges = requests.filter((r) => r.path.startsWith('/cdn/')).map((r) => r.range);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
    // What reached the disk before the drop (the socket loses what was still in flight), not from zero.
    const from = Number(/\d+/.exec(ranges[1]!)![0]);
    assert.ok(from > 0 && from <= 1024 * 1024, `resumed where the file ended: ${ranges[1]}`);
    assert.equal(ranges.length, 2);
    rmSync(folder, { recursive: true });
  });

  it('resumes a part left by an earlier run instead of starting over', async () => {
    writeFileSync(join(folder, 'small.gguf.part'), MODEL.subarray(0, 2_000_000));
    const result = await downloadModel({ url: `${base}/cdn/small.gguf`, folder, signal: new AbortController().signal });
    assert.ok(readFileSync(result.path).equals(MODEL));
    assert.deepEqual(
      requests.map((r) => r.range),
      ['bytes=2000000-'],
    );
    rmSync(folder, { recursive: true });
  });

  it('Cancel stops the download and leaves nothing behind', async () => {
    behaviour = { slow: true };
    const abort = new AbortController();
    const download = downloadModel({
      url: `${base}/cdn/small.gguf`,
      folder,
      signal: abort.signal,
      onProgress: (received) => received > 256 * 1024 && abort.abort(),
    });
    await assert.rejects(download, { name: 'AbortError' });
    assert.equal(existsSync(join(folder, 'small.gguf.part')), false);
    assert.equal(existsSync(join(folder, 'small.gguf')), false);
    rmSync(folder, { recursive: true });
  });

  it('a file that does not match its checksum is deleted with a clear message', async () => {
    behaviour = { linkedSha: 'a'.repeat(64) };
    await assert.rejects(
      downloadModel({ url: `${base}/org/repo/resolve/main/small.gguf`, folder, signal: new AbortController().signal }),
      (err: DownloadError) => err.kind === 'checksum' && /does not match the checksum/.test(err.message),
    );
    assert.equal(existsSync(join(folder, 'small.gguf')), false);
    assert.equal(existsSync(join(folder, 'small.gguf.part')), false);
    rmSync(folder, { recursive: true });
  });

  it('refuses what is not a GGUF, HTTP errors, non-HTTPS hosts and URLs that name no .gguf', async () => {
    behaviour = { body: Buffer.from('<html>login page</html>') };
    const signal = new AbortController().signal;
    await assert.rejects(downloadModel({ url: `${base}/cdn/page.gguf`, folder, signal }), { kind: 'notGguf' });
    assert.equal(existsSync(join(folder, 'page.gguf')), false);
    await assert.rejects(
      downloadModel({ url: `${base}/missing/x.gguf`, folder, signal }),
      (e: DownloadError) => e.kind === 'http' && /HTTP 404/.test(e.message),
    );
    await assert.rejects(downloadModel({ url: 'http://example.com/x.gguf', folder, signal }), { kind: 'url' });
    await assert.rejects(downloadModel({ url: `${base}/cdn/readme.md`, folder, signal }), { kind: 'url' });
    await assert.rejects(downloadModel({ url: 'http://127.0.0.1:9/x.gguf', folder, signal, retries: 0 }), { kind: 'network' });
    rmSync(folder, { recursive: true });
  });

  it('turns a Hugging Face page URL into its download URL', () => {
    assert.equal(
      downloadUrl('https://huggingface.co/Qwen/Qwen3-0.6B-GGUF/blob/main/Qwen3-0.6B-Q8_0.gguf').href,
      'https://huggingface.co/Qwen/Qwen3-0.6B-GGUF/resolve/main/Qwen3-0.6B-Q8_0.gguf',
    );
  });
});
