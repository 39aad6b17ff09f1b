/**
 * The published reference server @modelcontextprotocol/server-everything, run from node_modules, over
 * stdio and over HTTP: the real SDK on both ends.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { runTool } from '../../src/tools/mcp/toolRunner';
import { everythingBin, freePort, memoryLogger, nodeServer, waitFor } from '../fakes/mcpServers';

const longOp = 'trigger-long-running-operation';

/** 1, 2, … steps, in order, none missing (see deliverNotificationsFirst for why the last one could go missing). */
function assertProgressInOrder(values: number[], steps: number): void {
  assert.deepEqual(
    values,
    Array.from({ length: steps }, (_, i) => i + 1),
  );
}

describe('server-everything over stdio', () => {
  const logger = memoryLogger();
  const connections = new McpConnections([nodeServer('everything', everythingBin())], { logger });
  before(() => connections.ensureStarted());
  after(() => connections.dispose());

  it('lists its tools with their schemas and annotations', () => {
    assert.deepEqual(
      connections.status.map((s) => [s.name, s.state]),
      [['everything', 'running']],
    );
    const echo = connections.findTool('echo');
    assert.equal(echo?.server, 'everything');
    assert.equal(echo?.inputSchema.type, 'object');
    assert.ok(echo?.inputSchema.properties && 'message' in echo.inputSchema.properties);
    assert.equal(echo?.annotations?.readOnlyHint, true);
    for (const name of ['get-sum', longOp, 'get-tiny-image']) assert.ok(connections.findTool(name), name);
    // Registered with taskSupport "required", which callTool refuses: not offered to the model.
    assert.equal(connections.findTool('simulate-research-query'), undefined);
    assert.ok(
      logger.lines.some((l) => l.includes('[everything] Starting default (STDIO) server')),
      'stderr reaches the log',
    );
  });

  it('runs echo and get-sum', async () => {
    const echo = await runTool(connections, { name: 'echo', arguments: { message: 'hello' } });
    assert.deepEqual(
      { ...echo, durationMs: 0 },
      { ok: true, isError: false, outcome: 'done', content: 'Echo: hello', durationMs: 0, server: 'everything' },
    );
    const sum = await runTool(connections, { name: 'get-sum', arguments: '{"a": 2, "b": 3}' });
    assert.equal(sum.content, 'The sum of 2 and 3 is 5.');
  });

  it('returns images separately from the text', async () => {
    const r = await runTool(connections, { name: 'get-tiny-image', arguments: {} });
    assert.equal(r.ok, true);
    assert.equal(r.images?.[0].mimeType, 'image/png');
    assert.ok(Buffer.from(r.images![0].data, 'base64').subarray(1, 4).toString() === 'PNG');
  });

  it('turns bad arguments and unknown tools into error results', async () => {
    const invalid = await runTool(connections, { name: 'echo', arguments: '{"message": "unterminated' });
    assert.equal(invalid.outcome, 'failed');
    assert.match(invalid.content, /^The arguments for "echo" are not a JSON object: .*JSON/);
    const wrongType = await runTool(connections, { name: 'get-sum', arguments: { a: 'two', b: 3 } });
    assert.equal(wrongType.outcome, 'toolError', 'the server reports schema violations as a tool error');
    assert.match(wrongType.content, /expected number/);
    const unknown = await runTool(connections, { name: 'no-such-tool', arguments: {} });
    assert.equal(unknown.outcome, 'failed');
    assert.match(unknown.content, /^There is no tool named "no-such-tool"\. Available tools: echo, /);
  });

  it('reports progress in order, one notification per step', async () => {
    const progress: Array<[number, number | undefined]> = [];
    const r = await runTool(
      connections,
      { name: longOp, arguments: { duration: 1, steps: 5 } },
      { onProgress: (p, total) => progress.push([p, total]) },
    );
    assert.equal(r.ok, true, r.content);
    assertProgressInOrder(
      progress.map(([p]) => p),
      5,
    );
    assert.ok(progress.every(([, total]) => total === 5));
  });

  it('cancels on abort within 100 ms and tells the server with notifications/cancelled', async () => {
    // Watch what the client sends, on the real transport.
    const transport = (await connections.client('everything')).transport!;
    const sent: JSONRPCMessage[] = [];
    const send = transport.send.bind(transport);
    transport.send = (message, options) => (sent.push(message), send(message, options));
    try {
      const controller = new AbortController();
      let abortedAt = 0;
      const r = await runTool(
        connections,
        { name: longOp, arguments: { duration: 2, steps: 10 } },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p === 2) {
              abortedAt = performance.now();
              controller.abort();
            }
          },
        },
      );
      const latency = performance.now() - abortedAt;
      assert.equal(r.outcome, 'cancelled');
      assert.equal(r.content, `The tool call "${longOp}" was cancelled by the user.`);
      assert.ok(latency < 100, `result ${latency.toFixed(1)} ms after abort`);
      const call = sent.find((m) => 'method' in m && m.method === 'tools/call');
      const cancel = sent.find((m) => 'method' in m && m.method === 'notifications/cancelled');
      assert.ok(call && 'id' in call && cancel && 'params' in cancel, 'a tools/call, then notifications/cancelled');
      assert.equal(cancel.params?.requestId, call.id);
    } finally {
      transport.send = send;
    }
    assert.equal((await runTool(connections, { name: 'echo', arguments: { message: 'still here' } })).ok, true);
  });

  it('does not time out while progress keeps coming, and does without it', async () => {
    // Steps every 200 ms, 1.2 s in all: a 500 ms timeout holds only because each progress resets it.
    const reset = await runTool(connections, { name: longOp, arguments: { duration: 1.2, steps: 6 } }, { timeoutMs: 500 });
    assert.equal(reset.outcome, 'done', reset.content);
    // One step of 1 s: no progress for longer than the timeout.
    const started = performance.now();
    const silent = await runTool(connections, { name: longOp, arguments: { duration: 1, steps: 1 } }, { timeoutMs: 300 });
    assert.equal(silent.outcome, 'timeout');
    assert.equal(silent.content, `The tool "${longOp}" gave no result or progress for 0.3 s and was stopped.`);
    assert.ok(performance.now() - started < 600);
  });

  it('runs calls in parallel: three take about as long as one', async () => {
    const progress: number[][] = [[], [], []];
    const call = (i: number) =>
      runTool(connections, { name: longOp, arguments: { duration: 0.6, steps: 3 } }, { onProgress: (p) => progress[i].push(p) });
    const started = performance.now();
    const results = await Promise.all([call(0), call(1), call(2)]);
    const elapsed = performance.now() - started;
    assert.deepEqual(
      results.map((r) => r.outcome),
      ['done', 'done', 'done'],
    );
    for (const p of progress) assertProgressInOrder(p, 3);
    assert.ok(elapsed < 1000, `three 600 ms calls took ${elapsed.toFixed(0)} ms`);
  });
});

/** Starts server-everything with a transport argument on a free port; resolves once it listens. */
async function serveHttp(transport: 'streamableHttp' | 'sse'): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [everythingBin(), transport], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(() => /listening on port|running on port/i.test(stderr), 10_000, `server-everything ${transport} to listen`);
  return { child, port };
}

for (const [transport, path] of [
  ['streamableHttp', '/mcp'],
  ['sse', '/sse'],
] as const) {
  describe(`server-everything over HTTP (${transport})`, () => {
    const logger = memoryLogger();
    let server: { child: ChildProcess; port: number };
    let connections: McpConnections;
    before(async () => {
      server = await serveHttp(transport);
      connections = new McpConnections(
        [{ name: 'web', source: 'settings', type: 'http', url: `http://127.0.0.1:${server.port}${path}`, headers: { 'X-Test': '1' } }],
        { logger },
      );
      await connections.ensureStarted();
    });
    after(async () => {
      await connections.dispose();
      server.child.kill();
    });

    it('connects, lists tools, calls one with progress', async () => {
      assert.deepEqual(
        connections.status.map((s) => [s.state, s.message]),
        [['running', undefined]],
      );
      assert.equal((await runTool(connections, { name: 'echo', arguments: { message: 'over http' } })).content, 'Echo: over http');
      const progress: number[] = [];
      const r = await runTool(
        connections,
        { name: longOp, arguments: { duration: 0.3, steps: 3 } },
        { onProgress: (p) => progress.push(p) },
      );
      assert.equal(r.ok, true, r.content);
      assertProgressInOrder(progress, 3);
      const fellBack = logger.lines.some((l) => l.includes('trying the older SSE transport'));
      assert.equal(fellBack, transport === 'sse', 'falls back to SSE only when Streamable HTTP answers 4xx');
    });
  });
}

describe('HTTP server that is not there', () => {
  it('is reported as an error state, not an exception', async () => {
    const port = await freePort();
    const connections = new McpConnections(
      [{ name: 'gone', source: 'workspace', type: 'http', url: `http://127.0.0.1:${port}/mcp`, headers: {} }],
      { logger: memoryLogger() },
    );
    await connections.ensureStarted();
    assert.deepEqual(
      connections.status.map((s) => [s.state, s.message]),
      [['error', `nothing is listening at http://127.0.0.1:${port}/mcp`]],
    );
    await connections.dispose();
  });
});
