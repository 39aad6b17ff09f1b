/**
 * An MCP server over HTTP cannot grow the extension host without bound: a JSON response is capped as a whole,
 * an SSE response per event (a long stream of normal events is legitimate and passes), the call ends with a
 * message naming the server and the cap, the connection stays usable, and Stop closes a response still streaming.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatBytes } from '../../src/shared/bytes';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { MCP_MAX_MESSAGE_BYTES } from '../../src/tools/mcp/mcpHttpFetch';
import { runTool } from '../../src/tools/mcp/toolRunner';
import { HostileHttpMcpServer } from '../fakes/hostileHttpMcpServer';
import { memoryLogger, nodeServer, waitFor } from '../fakes/mcpServers';

const MiB = 1024 * 1024;
/** What may be in flight past the cap: socket buffers on both sides and the chunk that crossed it. */
const SLACK = 8 * MiB;

/** Settles with `p`, or fails the test when it has not after `ms`: the bug being guarded against is a hang. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const deadline = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)),
  );
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** RSS growth while `run` runs, after a GC when the test runs with --expose-gc. */
async function rssGrowth(run: () => Promise<void>): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    await run();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage().rss) - before;
}

describe('MCP over HTTP: every response is capped', () => {
  const server = new HostileHttpMcpServer();
  const logger = memoryLogger();
  let connections: McpConnections;

  before(async () => {
    await server.start();
    connections = new McpConnections([{ name: 'hostile', source: 'settings', type: 'http', url: server.url, headers: {} }], { logger });
    await connections.ensureStarted();
    assert.equal(connections.tools.length, 4, logger.lines.join('\n'));
  });
  after(async () => {
    await connections.dispose();
    await server.stop();
  });

  const capText = formatBytes(MCP_MAX_MESSAGE_BYTES);

  it('an endless JSON body ends the call with a clear error, after a bounded number of bytes', async (t) => {
    let content = '';
    const growth = await rssGrowth(async () => {
      const result = await within(runTool(connections, { name: 'flood_json', arguments: {} }), 30_000, 'flood_json');
      assert.equal(result.outcome, 'failed');
      content = result.content;
    });
    assert.match(content, /MCP server "hostile"/);
    assert.ok(content.includes(capText), content);
    await server.until(() => server.closedEarly.has('flood_json'), 5000);
    const sent = server.sent.get('flood_json') ?? 0;
    t.diagnostic(`${content} | sent ${(sent / MiB).toFixed(1)} MiB, RSS +${Math.round(growth / MiB)} MiB`);
    assert.ok(sent < MCP_MAX_MESSAGE_BYTES + SLACK, `the server sent ${sent} bytes`);
    assert.ok(growth < 6 * MCP_MAX_MESSAGE_BYTES, `RSS grew by ${Math.round(growth / MiB)} MiB`);
  });

  it('one endless SSE event (short lines, no blank line) ends the call with a clear error', async (t) => {
    let content = '';
    const growth = await rssGrowth(async () => {
      const result = await within(runTool(connections, { name: 'flood_event', arguments: {} }), 30_000, 'flood_event');
      assert.equal(result.outcome, 'failed');
      content = result.content;
    });
    assert.match(content, /MCP server "hostile"/);
    assert.ok(content.includes(capText), content);
    await server.until(() => server.closedEarly.has('flood_event'), 5000);
    const sent = server.sent.get('flood_event') ?? 0;
    t.diagnostic(`${content} | sent ${(sent / MiB).toFixed(1)} MiB, RSS +${Math.round(growth / MiB)} MiB`);
    assert.ok(sent < MCP_MAX_MESSAGE_BYTES + SLACK, `the server sent ${sent} bytes`);
    assert.ok(growth < 6 * MCP_MAX_MESSAGE_BYTES, `RSS grew by ${Math.round(growth / MiB)} MiB`);
  });

  it('many normal events adding up to more than the cap all arrive, on the same connection', async () => {
    const { count, eventBytes } = server.manyEvents;
    assert.ok(count * eventBytes > MCP_MAX_MESSAGE_BYTES);
    let progress = 0;
    const result = await within(
      runTool(connections, { name: 'many_events', arguments: {} }, { onProgress: () => progress++ }),
      30_000,
      'many_events',
    );
    assert.equal(result.outcome, 'done', result.content);
    assert.equal(result.content, `all ${count} events arrived`);
    assert.ok(progress > 0);
    assert.equal(server.closedEarly.has('many_events'), false);
    assert.equal(connections.describe('hostile'), undefined);
    // Logged: the cut-off responses, nothing else (no stream errors, no reconnecting).
    assert.deepEqual(
      logger.lines.filter((l) => !l.startsWith('info') && !/cut off/.test(l)),
      [],
    );
  });

  it('Stop ends a call whose response is still streaming, and closes that response', async () => {
    const abort = new AbortController();
    let progress = 0;
    const call = runTool(connections, { name: 'slow_stream', arguments: {} }, { signal: abort.signal, onProgress: () => progress++ });
    await waitFor(() => progress >= 3, 10_000, 'progress from slow_stream');
    abort.abort();
    const result = await within(call, 5000, 'the stopped call');
    assert.equal(result.outcome, 'cancelled');
    await server.until(() => server.closedEarly.has('slow_stream'), 5000);
    assert.ok(server.cancelled.length > 0, 'a 2025-era connection: the SDK only told the server, the fetch closed the response');
  });
});

describe('MCP over stdio: the SDK caps a message itself', () => {
  it('a 20 MB result is refused, not buffered (the SDK 2.x limit of 10 MB per message still holds)', async (t) => {
    const logger = memoryLogger();
    const connections = new McpConnections([nodeServer('hostile', join(__dirname, '../fakes/hostileMcpServer.mjs'))], { logger });
    t.after(() => connections.dispose());
    await connections.ensureStarted();
    const result = await within(runTool(connections, { name: 'flood', arguments: { bytes: 20 * MiB } }), 30_000, 'stdio flood');
    assert.equal(result.outcome, 'failed', result.content.slice(0, 200));
    t.diagnostic(result.content);
  });
});
