/**
 * McpConnections against MCP servers over HTTP, in this process: a server that wants credentials (401/403 with
 * WWW-Authenticate) is reported as needing sign-in and never retried over SSE; an old HTTP+SSE server (404 on
 * POST) still works through the fallback; tools/list_changed re-lists every page; forms (elicitation) reach the
 * host's handler, and servers are told about the capability only when there is one.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type ClientCapabilities, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { McpConnections, type McpConnectionsOptions } from '../../src/tools/mcp/mcpConnections';
import type { HttpServerConfig } from '../../src/tools/mcp/mcpResolve';
import { runTool } from '../../src/tools/mcp/toolRunner';
import { memoryLogger, waitFor } from '../fakes/mcpServers';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.map((c) => c()));
  cleanup = [];
});

async function listen(handler: Handler): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server: HttpServer = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    void Promise.resolve(handler(req, res)).catch((e: Error) => {
      if (!res.headersSent) res.writeHead(500).end(e.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`, requests };
}

function connect(url: string, options: Partial<McpConnectionsOptions> = {}) {
  const logger = memoryLogger();
  const config: HttpServerConfig = { name: 'remote', source: 'settings', type: 'http', url, headers: {} };
  const connections = new McpConnections([config], { logger, ...options });
  cleanup.push(() => connections.dispose());
  return { connections, logger };
}

/** A session-keeping Streamable HTTP server; `setup` registers the handlers of each session's Server. */
async function streamableServer(setup: (server: Server) => void) {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const servers: Server[] = [];
  const endpoint = await listen(async (req, res) => {
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const server = new Server({ name: 'test', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
      setup(server);
      servers.push(server);
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => void sessions.set(sid, created),
      });
      await server.connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res);
  });
  cleanup.push(async () => void (await Promise.all(servers.map((s) => s.close()))));
  return { ...endpoint, servers };
}

const tool = (name: string): Tool => ({ name, inputSchema: { type: 'object', properties: {} } });

describe('MCP over HTTP', () => {
  for (const status of [401, 403]) {
    it(`reports a server answering ${status} as needing sign-in, and does not try SSE`, async () => {
      const { url, requests } = await listen((_req, res) => {
        res
          .writeHead(status, {
            'WWW-Authenticate': `Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp"${status === 403 ? ', error="insufficient_scope"' : ''}`,
          })
          .end();
      });
      const { connections } = connect(url);
      await connections.ensureStarted();
      const [remote] = connections.status;
      assert.equal(remote.state, 'needsAuth');
      assert.match(remote.message ?? '', new RegExp(`answered ${status}.*needs you to sign in`));
      assert.doesNotMatch(remote.message ?? '', /SSE/);
      assert.equal(remote.canSignIn, false, 'no sign-in where the host offers none');
      await assert.rejects(connections.client('remote'), /^Error: MCP server "remote" needs you to sign in: /);
      assert.ok(
        requests.every((r) => r.startsWith('POST')),
        `only Streamable HTTP was tried, got ${requests.join(', ')}`,
      );
      const call = await runTool(connections, { name: 'anything', arguments: {} });
      assert.equal(call.outcome, 'failed');
    });
  }

  it('falls back to the older SSE transport when Streamable HTTP answers 404', async () => {
    const transports = new Map<string, SSEServerTransport>();
    const { url, requests } = await listen(async (req, res) => {
      if (req.method === 'GET' && req.url === '/mcp') {
        const transport = new SSEServerTransport('/messages', res);
        transports.set(transport.sessionId, transport);
        const server = new Server({ name: 'old', version: '1.0.0' }, { capabilities: { tools: {} } });
        server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [tool('old_tool')] }));
        cleanup.push(() => server.close());
        await server.connect(transport);
      } else if (req.method === 'POST' && req.url?.startsWith('/messages')) {
        const sessionId = new URL(req.url, 'http://x').searchParams.get('sessionId') ?? '';
        await transports.get(sessionId)?.handlePostMessage(req, res);
      } else {
        res.writeHead(404).end();
      }
    });
    const { connections } = connect(url);
    await connections.ensureStarted();
    assert.equal(connections.status[0].state, 'running', connections.status[0].message);
    assert.deepEqual(
      connections.tools.map((t) => t.name),
      ['old_tool'],
    );
    assert.ok(requests.includes('GET /mcp'));
  });

  it('re-lists every page of tools after tools/list_changed', async () => {
    const names = ['a', 'b', 'c'];
    const { url } = await streamableServer((server) => {
      server.setRequestHandler(ListToolsRequestSchema, (request) => {
        const start = Number(request.params?.cursor ?? 0);
        const next = start + 2 < names.length ? String(start + 2) : undefined;
        return { tools: names.slice(start, start + 2).map(tool), ...(next ? { nextCursor: next } : {}) };
      });
      server.setRequestHandler(CallToolRequestSchema, async (_request, extra) => {
        names.push('d', 'e', 'f');
        await extra.sendNotification({ method: 'notifications/tools/list_changed' });
        return { content: [{ type: 'text', text: 'grown' }] };
      });
    });
    const { connections } = connect(url);
    await connections.ensureStarted();
    assert.deepEqual(
      connections.tools.map((t) => t.name),
      ['a', 'b', 'c'],
    );
    assert.equal((await runTool(connections, { name: 'a', arguments: {} })).content, 'grown');
    await waitFor(() => connections.tools.length === 6, 5000, 'the new tools');
    assert.deepEqual(
      connections.tools.map((t) => t.name),
      ['a', 'b', 'c', 'd', 'e', 'f'],
    );
  });

  describe('elicitation', () => {
    const formServer = (seen: { capabilities?: ClientCapabilities }) =>
      streamableServer((server) => {
        server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [tool('ask')] }));
        server.setRequestHandler(CallToolRequestSchema, async () => {
          seen.capabilities = server.getClientCapabilities();
          const answer = await server.elicitInput({
            message: 'Who are you?',
            requestedSchema: {
              type: 'object',
              properties: { name: { type: 'string', default: 'Ada' }, age: { type: 'integer', default: 36 } },
            },
          });
          return { content: [{ type: 'text', text: JSON.stringify(answer) }] };
        });
      });

    it('passes a form to the host and its answer back, with the defaults of the fields left out', async () => {
      const seen: { capabilities?: ClientCapabilities } = {};
      const { url } = await formServer(seen);
      const asked: string[] = [];
      const { connections } = connect(url, {
        elicit: async (server, params) => {
          asked.push(`${server}: ${params.message}`);
          return { action: 'accept', content: { name: 'Grace' } };
        },
      });
      await connections.ensureStarted();
      const r = await runTool(connections, { name: 'ask', arguments: {} });
      assert.equal(r.outcome, 'done', r.content);
      assert.deepEqual(JSON.parse(r.content), { action: 'accept', content: { name: 'Grace', age: 36 } });
      assert.deepEqual(asked, ['remote: Who are you?']);
      assert.ok(seen.capabilities?.elicitation, 'the capability was declared');
    });

    it('does not declare elicitation when the host cannot show forms', async () => {
      const seen: { capabilities?: ClientCapabilities } = {};
      const { url } = await formServer(seen);
      const { connections } = connect(url);
      await connections.ensureStarted();
      const r = await runTool(connections, { name: 'ask', arguments: {} });
      assert.equal(seen.capabilities?.elicitation, undefined);
      assert.equal(r.outcome, 'failed');
      assert.match(r.content, /elicitation/, 'the server refuses to ask rather than the form being declined unseen');
    });
  });
});
