/**
 * Issue 13, part B: whatever the extension reads by itself (workspace files, model-list and capability
 * responses) is bounded in type, place, size and time, and Stop reaches every await of a turn.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isInside, readBoundedFile } from '../../src/shared/boundedFile';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import { OllamaProvider } from '../../src/streaming/providers/ollama/ollamaProvider';
import { OpenAIProvider } from '../../src/streaming/providers/openai/openaiProvider';
import { ProviderFailure } from '../../src/streaming/providers/provider';
import { loadMcpServers } from '../../src/tools/mcp/mcpResolve';
import { LoopbackServer } from '../fakes/loopbackServer';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';

const silent = { info() {}, warn() {}, error() {} };
const MiB = 1024 * 1024;

/** Settles with `p`, or fails the test when it has not after `ms`: the bug being guarded against is a hang. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const deadline = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)),
  );
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

type Mode = 'endless' | 'stall' | 'hugeLength';

/** A model server that never finishes: an endless JSON body, or headers and then nothing. */
class HostileServer extends LoopbackServer {
  mode: Mode = 'endless';
  /** Bytes written per request path before the client went away. */
  readonly sent = new Map<string, number>();
  readonly closed: string[] = [];

  protected handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    req.resume();
    res.on('close', () => {
      this.closed.push(path);
      this.notify();
    });
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (this.mode === 'hugeLength') headers['content-length'] = 64 * 1024 * MiB;
    res.writeHead(200, headers);
    res.flushHeaders();
    if (this.mode === 'stall') return;
    const open = path.endsWith('/models') ? '{"object":"list","data":[' : path.endsWith('/show') ? '{"capabilities":["' : '{"models":[';
    const item = path.endsWith('/models')
      ? '{"id":"x","object":"model"},'
      : path.endsWith('/show')
        ? 'x'.repeat(64)
        : '{"name":"x:latest"},';
    const chunk = Buffer.from(item.repeat(Math.ceil(65536 / item.length)));
    res.write(open);
    let total = open.length;
    const pump = () => {
      while (!res.destroyed && !res.writableEnded) {
        total += chunk.length;
        this.sent.set(path, total);
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  }
}

describe('model-list and capability responses are bounded in size and time', () => {
  const server = new HostileServer();
  before(() => server.start());
  after(() => server.stop());

  for (const kind of ['ollama', 'openai'] as const) {
    const provider = (opts: { timeoutMs?: number } = {}) =>
      kind === 'ollama'
        ? new OllamaProvider(server.url, { limits: opts })
        : new OpenAIProvider(`${server.url}/v1`, undefined, { limits: opts });
    const path = kind === 'ollama' ? '/api/tags' : '/v1/models';

    it(`${kind}: an endless model list is cut off at the byte cap with a clear error`, async () => {
      server.mode = 'endless';
      server.closed.length = 0;
      const rssBefore = process.memoryUsage().rss;
      const err = await within(
        provider()
          .listModels()
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
        15_000,
        'listModels',
      );
      assert.ok(err instanceof ProviderFailure, `expected a ProviderFailure, got ${String(err)}`);
      assert.match(err.message, /more than 8 MiB/);
      await server.until(() => server.closed.includes(path));
      // The connection is closed near the cap: the server could not push the client far past it.
      assert.ok(server.sent.get(path)! < 40 * MiB, `server sent ${server.sent.get(path)} bytes`);
      assert.ok(process.memoryUsage().rss - rssBefore < 400 * MiB, 'the host did not grow without bound');
    });

    it(`${kind}: a response that declares a huge Content-Length is refused without reading it`, async () => {
      server.mode = 'hugeLength';
      const err = await within(
        provider()
          .listModels()
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
        15_000,
        'listModels',
      );
      assert.ok(err instanceof ProviderFailure);
      assert.match(err.message, /more than 8 MiB/);
    });

    it(`${kind}: a server that sends headers and then stalls fails after the timeout, even without a signal`, async () => {
      server.mode = 'stall';
      const started = performance.now();
      const err = await within(
        provider({ timeoutMs: 400 })
          .listModels()
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
        10_000,
        'listModels',
      );
      assert.ok(err instanceof ProviderFailure);
      assert.match(err.message, /did not finish answering within 0\.4 s/);
      assert.ok(performance.now() - started < 5000);
    });
  }

  it('ollama: an endless or stalled /api/show does not hold up the turn (capabilities count as unknown)', async () => {
    server.mode = 'endless';
    assert.equal(await within(new OllamaProvider(server.url).supportsTools('endless-model'), 15_000, 'supportsTools'), true);
    server.mode = 'stall';
    assert.equal(
      await within(new OllamaProvider(server.url, { limits: { timeoutMs: 400 } }).supportsTools('stalled-model'), 10_000, 'supportsTools'),
      true,
    );
  });
});

describe('Stop reaches every await of a turn', () => {
  const ollama = new FakeOllama();
  before(() => ollama.start());
  after(() => ollama.stop());

  const session = (deps: Partial<ConstructorParameters<typeof ChatSession>[0]>) => {
    const config: SessionConfig = { endpoint: { name: 'Local', type: 'ollama', url: ollama.url }, model: 'm', maxUpdatesPerSecond: 20 };
    ollama.onChat = (body) => ({ steps: answerLines(body.model, ['unused']) });
    return new ChatSession({ config: () => config, providerFor: (e) => new OllamaProvider(e.url), post: () => {}, log: silent, ...deps });
  };

  it('Stop while the instructions are being read ends the turn as stopped, at once', async () => {
    let reading!: () => void;
    const started = new Promise<void>((resolve) => (reading = resolve));
    // A read that never ends and ignores any signal: a hung network drive, a FIFO.
    const chat = session({ instructions: () => (reading(), new Promise(() => {})) });
    chat.send('Hi');
    await within(started, 5000, 'the instructions read');
    chat.stop();
    await within(chat.idle(), 2000, 'the turn after Stop');
    assert.equal(chat.snapshot().messages.at(-1)!.state, 'stopped');
    assert.equal(ollama.chatRequests.length, 0, 'nothing was sent to the model');
  });

  it('Stop while the tools are being listed ends the turn as stopped, at once', async () => {
    let listing!: () => void;
    const started = new Promise<void>((resolve) => (listing = resolve));
    const tools = {
      list: () => (listing(), new Promise<never>(() => {})),
      needsApproval: () => false,
      alwaysAllow() {},
      run: () => Promise.reject(new Error('not called')),
    };
    const chat = session({ tools });
    chat.send('Hi');
    await within(started, 5000, 'the tools list');
    chat.stop();
    await within(chat.idle(), 2000, 'the turn after Stop');
    assert.equal(chat.snapshot().messages.at(-1)!.state, 'stopped');
  });
});

describe('workspace files are read only when regular, inside the workspace and small', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'bounded-')));
  const ws = join(root, 'ws');
  const outside = join(root, 'outside');
  const home = join(root, 'home');
  before(() => {
    for (const d of [ws, outside, home, join(ws, 'sub')]) mkdirSync(d, { recursive: true });
    writeFileSync(join(outside, 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----');
    writeFileSync(join(outside, 'secret.env'), 'TOKEN=stolen\n');
    writeFileSync(join(ws, 'real.md'), 'Use tabs.');
    writeFileSync(join(ws, 'big.md'), 'x'.repeat(2 * MiB));
    symlinkSync('/dev/zero', join(ws, 'zero.md'));
    symlinkSync(join(outside, 'id_rsa'), join(ws, 'AGENTS.md'));
    symlinkSync(join(ws, 'real.md'), join(ws, 'sub', 'link.md'));
    symlinkSync(outside, join(ws, 'sub', 'dir'));
    symlinkSync(join(outside, 'secret.env'), join(ws, '.env'));
    execFileSync('mkfifo', [join(ws, 'fifo.md')]);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const read = (name: string, opts: { within?: string[]; maxBytes?: number; truncate?: boolean } = {}) =>
    within(readBoundedFile(join(ws, name), { maxBytes: MiB, within: [ws], ...opts }), 5000, `reading ${name}`);

  it('reads a regular file inside the workspace, also through a symlink that stays inside', async () => {
    const direct = await read('real.md');
    assert.ok(direct.ok);
    assert.equal(new TextDecoder().decode(direct.bytes), 'Use tabs.');
    const linked = await read('sub/link.md');
    assert.ok(linked.ok);
    assert.equal(new TextDecoder().decode(linked.bytes), 'Use tabs.');
  });

  it('refuses AGENTS.md -> a file outside the workspace (a private key would go into every prompt)', async () => {
    const r = await read('AGENTS.md');
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'outside');
    assert.match(!r.ok ? r.reason : '', /outside the workspace/);
  });

  it('refuses AGENTS.md -> /dev/zero, inside the workspace check or not', async () => {
    const r = await read('zero.md');
    assert.equal(!r.ok && r.code, 'outside');
    const unchecked = await read('zero.md', { within: undefined });
    assert.equal(!unchecked.ok && unchecked.code, 'notRegular');
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const r = await read('fifo.md');
    assert.equal(!r.ok && r.code, 'notRegular');
  });

  it('refuses a file over the cap, or reads only its first bytes when asked to', async () => {
    const r = await read('big.md');
    assert.equal(!r.ok && r.code, 'tooLarge');
    const cut = await read('big.md', { maxBytes: 1000, truncate: true });
    assert.ok(cut.ok);
    assert.equal(cut.bytes.length, 1000);
    assert.equal(cut.truncated, true);
  });

  it('says a missing file is missing (so callers can try the next one), and honours an aborted signal', async () => {
    const r = await read('nothing.md');
    assert.equal(!r.ok && r.code, 'missing');
    await assert.rejects(readBoundedFile(join(ws, 'real.md'), { maxBytes: MiB, signal: AbortSignal.abort() }), { name: 'AbortError' });
  });

  it('tells a dropped symlink that points outside from a file that is really inside', async () => {
    assert.equal(await isInside(join(ws, 'real.md'), [ws]), true);
    assert.equal(await isInside(join(ws, 'sub', 'link.md'), [ws]), true);
    assert.equal(await isInside(join(ws, 'AGENTS.md'), [ws]), false);
    assert.equal(await isInside(join(ws, 'sub', 'dir', 'id_rsa'), [ws]), false);
    assert.equal(await isInside(join(outside, 'id_rsa'), [ws]), false);
  });

  const mcpJson = (envFile: string) => JSON.stringify({ servers: { s: { type: 'stdio', command: 'node', args: [], envFile } } });
  const resolveOpts = { trusted: true, workspaceFolder: ws, userHome: home, env: {}, resolveInput: async () => undefined };

  it('refuses a workspace envFile that is a symlink to a file outside the workspace', async () => {
    const result = await loadMcpServers({ workspaceJson: mcpJson('${workspaceFolder}/.env') }, resolveOpts);
    assert.deepEqual(result.servers, []);
    assert.match(result.problems.map((p) => p.message).join('\n'), /envFile .*outside/);
  });

  it('refuses a settings envFile outside both the workspace and the home folder', async () => {
    const result = await loadMcpServers(
      { settingsServers: { s: { type: 'stdio', command: 'node', envFile: join(outside, 'secret.env') } } },
      resolveOpts,
    );
    assert.deepEqual(result.servers, []);
    assert.match(result.problems.map((p) => p.message).join('\n'), /envFile .*outside/);
    writeFileSync(join(home, '.mcp.env'), 'TOKEN=mine\n');
    const fromHome = await loadMcpServers(
      { settingsServers: { s: { type: 'stdio', command: 'node', envFile: join(home, '.mcp.env') } } },
      resolveOpts,
    );
    assert.equal(fromHome.servers[0]?.type === 'stdio' && fromHome.servers[0].env.TOKEN, 'mine');
  });
});
