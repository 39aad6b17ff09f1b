/**
 * Lifecycle of McpConnections with test/fakes/fakeMcpServer.mjs (a real SDK server over stdio): lazy
 * start, crash and restart, list changes, config updates, name clashes, timeouts, dispose.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { McpConnections, type McpConnectionsOptions } from '../../src/tools/mcp/mcpConnections';
import type { McpServerConfig } from '../../src/tools/mcp/mcpResolve';
import { runTool } from '../../src/tools/mcp/toolRunner';
import { fakeServerScript, memoryLogger, nodeServer, waitFor } from '../fakes/mcpServers';

const fake = (name: string, env: Record<string, string> = {}) => nodeServer(name, fakeServerScript, [], { env });

let open: McpConnections[] = [];
function connect(servers: McpServerConfig[], options: Partial<McpConnectionsOptions> = {}) {
  const logger = memoryLogger();
  let changes = 0;
  const connections = new McpConnections(servers, { logger, onDidChange: () => changes++, ...options });
  open.push(connections);
  return { connections, logger, changes: () => changes };
}
afterEach(async () => {
  await Promise.all(open.map((c) => c.dispose()));
  open = [];
});

async function whoami(connections: McpConnections, tool = 'whoami') {
  const r = await runTool(connections, { name: tool, arguments: {} });
  assert.equal(r.outcome, 'done', r.content);
  return JSON.parse(r.content) as { pid: number; cwd: string; fakeVar: string | null };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('McpConnections', () => {
  it('starts nothing until first use', async () => {
    const { connections } = connect([fake('a'), fake('b')]);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      connections.status.map((s) => s.state),
      ['stopped', 'stopped'],
    );
    assert.deepEqual(connections.tools, []);
    await connections.client('a'); // a tool call starts just its server
    assert.deepEqual(
      connections.status.map((s) => s.state),
      ['running', 'stopped'],
    );
    await connections.ensureStarted();
    assert.deepEqual(
      connections.status.map((s) => [s.state, s.toolCount]),
      [
        ['running', 5],
        ['running', 5],
      ],
    );
  });

  it('passes env and the working directory to the server', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mcp-cwd-')));
    const { connections } = connect([nodeServer('a', fakeServerScript, [], { env: { FAKE_VAR: 'set' }, cwd: dir })]);
    await connections.ensureStarted();
    const me = await whoami(connections);
    assert.deepEqual([me.cwd, me.fakeVar], [dir, 'set']);
  });

  it('reports a server that exits mid-call with a clear error result, and restarts it on next use', async () => {
    const { connections, logger } = connect([fake('a')]);
    await connections.ensureStarted();
    const first = await whoami(connections);
    const r = await runTool(connections, { name: 'crash', arguments: {} });
    assert.deepEqual([r.ok, r.isError, r.outcome], [false, true, 'failed']);
    assert.match(
      r.content,
      /^The MCP server "a" exited during the call to "crash": exited unexpectedly \(fake server: crashing on purpose\); it restarts on next use\.$/,
    );
    assert.equal(connections.status[0].state, 'error');
    assert.equal(connections.tools.length, 5, 'its tools stay offered, so the next call can restart it');
    assert.ok(logger.lines.some((l) => l.startsWith('error MCP server "a" exited unexpectedly')));
    const second = await whoami(connections);
    assert.notEqual(second.pid, first.pid);
    assert.equal(connections.status[0].state, 'running');
  });

  it('refreshes tools on tools/list_changed and says so', async () => {
    const { connections, changes } = connect([fake('a')]);
    await connections.ensureStarted();
    const before = changes();
    assert.equal(connections.findTool('extra'), undefined);
    assert.equal((await runTool(connections, { name: 'add-tool', arguments: {} })).content, 'added');
    await waitFor(() => connections.findTool('extra') !== undefined, 3000, 'the new tool');
    assert.ok(changes() > before);
  });

  it('makes clashing tool names unique and routes each back to its server', async () => {
    const { connections } = connect([fake('one', { FAKE_VAR: '1' }), fake('two', { FAKE_VAR: '2' })]);
    await connections.ensureStarted();
    assert.deepEqual(connections.tools.map((t) => t.name).slice(0, 2), ['one_whoami', 'one_crash']);
    assert.deepEqual(connections.findTool('two_whoami'), { ...connections.findTool('two_whoami'), server: 'two', originalName: 'whoami' });
    assert.equal((await whoami(connections, 'one_whoami')).fakeVar, '1');
    assert.equal((await whoami(connections, 'two_whoami')).fakeVar, '2');
  });

  it('updateConfig restarts only changed servers, stops removed ones and starts new ones', async () => {
    const { connections } = connect([fake('same'), fake('changed'), fake('removed')]);
    await connections.ensureStarted();
    const pids = Object.fromEntries(
      await Promise.all(['same', 'changed', 'removed'].map(async (s) => [s, (await whoami(connections, `${s}_whoami`)).pid])),
    );
    await connections.updateConfig([fake('same'), fake('changed', { FAKE_VAR: 'new' }), fake('added')]);
    assert.deepEqual(
      connections.status.map((s) => [s.name, s.state]),
      [
        ['same', 'running'],
        ['changed', 'running'],
        ['added', 'running'],
      ],
    );
    assert.equal((await whoami(connections, 'same_whoami')).pid, pids.same);
    const changed = await whoami(connections, 'changed_whoami');
    assert.notEqual(changed.pid, pids.changed);
    assert.equal(changed.fakeVar, 'new');
    await waitFor(() => !alive(pids.removed) && !alive(pids.changed), 3000, 'old processes to exit');
  });

  it('restart(name) replaces the process', async () => {
    const { connections } = connect([fake('a')]);
    await connections.ensureStarted();
    const before = (await whoami(connections)).pid;
    await connections.restart('a');
    assert.notEqual((await whoami(connections)).pid, before);
    await assert.rejects(connections.restart('nope'), /no MCP server named "nope"/);
  });

  it('times out a hanging call without taking the server down, and cancels one on abort', async () => {
    const { connections } = connect([fake('a')]);
    await connections.ensureStarted();
    const timedOut = await runTool(connections, { name: 'hang', arguments: {} }, { timeoutMs: 200 });
    assert.equal(timedOut.outcome, 'timeout');
    assert.ok(timedOut.durationMs >= 200 && timedOut.durationMs < 400, `${timedOut.durationMs} ms`);
    assert.equal(connections.status[0].state, 'running');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const stopped = await runTool(connections, { name: 'hang', arguments: {} }, { signal: controller.signal });
    assert.equal(stopped.outcome, 'cancelled');
    const before = new AbortController();
    before.abort();
    assert.equal((await runTool(connections, { name: 'whoami', arguments: {} }, { signal: before.signal })).outcome, 'cancelled');
  });

  it('passes a tool’s own error on as isError', async () => {
    const { connections } = connect([fake('a')]);
    await connections.ensureStarted();
    const r = await runTool(connections, { name: 'fail', arguments: {} });
    assert.deepEqual([r.ok, r.isError, r.outcome, r.content], [false, true, 'toolError', 'it went wrong on purpose']);
  });

  it('reports servers that cannot start as state error, with the reason', async () => {
    const { connections } = connect([
      nodeServer('missing', '', [], { command: '/nonexistent/mcp-server' }),
      nodeServer('dies', '-e', ["console.error('bad config: no token'); process.exit(2)"]),
      fake('fine'),
    ]);
    await connections.ensureStarted();
    assert.deepEqual(
      connections.status.map((s) => [s.name, s.state, s.message]),
      [
        ['missing', 'error', 'command not found: /nonexistent/mcp-server'],
        ['dies', 'error', 'exited during startup: bad config: no token'],
        ['fine', 'running', undefined],
      ],
    );
    await assert.rejects(connections.client('missing'), /MCP server "missing" is not available: command not found/);
  });

  it('dispose closes every server process', async () => {
    const { connections } = connect([fake('a'), fake('b')]);
    await connections.ensureStarted();
    const pids = [(await whoami(connections, 'a_whoami')).pid, (await whoami(connections, 'b_whoami')).pid];
    await connections.dispose();
    await waitFor(() => pids.every((p) => !alive(p)), 3000, 'processes to exit');
    assert.deepEqual(connections.status, []);
    assert.equal((await runTool(connections, { name: 'a_whoami', arguments: {} })).outcome, 'failed');
  });
});
