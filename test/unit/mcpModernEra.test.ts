/**
 * A server that speaks only the 2026-07-28 revision (no `initialize`: it answers 400 to it, as the conformance
 * suite's servers do), over Streamable HTTP, through the project's own client code. The client must find the
 * era by itself (`server/discover`), and a form the server needs comes as an input-required result that goes
 * through the same elicitation handler as a 2025 server's `elicitation/create`; the answer goes back in the retry.
 * No 2026 server package is installed, so this one is written out here, following the wire format of the
 * conformance suite's scenario servers.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ElicitRequest } from '@modelcontextprotocol/client';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { runTool } from '../../src/tools/mcp/toolRunner';
import { memoryLogger } from '../fakes/mcpServers';

const VERSION = '2026-07-28';
const schema = { type: 'object', properties: { city: { type: 'string', title: 'City' } }, required: ['city'] };

interface Rpc {
  id?: number | string;
  method: string;
  params?: { name?: string; inputResponses?: Record<string, { action: string; content?: Record<string, unknown> }>; requestState?: string };
}

function modernServer(): { server: Server; methods: string[]; retries: Rpc['params'][] } {
  const methods: string[] = [];
  const retries: Rpc['params'][] = [];
  const server = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const rpc = JSON.parse(body) as Rpc;
      methods.push(rpc.method);
      const reply = (result: unknown, status = 200) =>
        res
          .writeHead(status, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', id: rpc.id, ...(result as object) }));
      if (rpc.id === undefined) return void res.writeHead(202).end();
      switch (rpc.method) {
        case 'server/discover':
          return reply({
            result: {
              resultType: 'complete',
              ttlMs: 0,
              cacheScope: 'private',
              supportedVersions: [VERSION],
              capabilities: { tools: {} },
              serverInfo: { name: 'weather-2026', version: '1.0.0' },
            },
          });
        case 'tools/list':
          return reply({
            result: {
              resultType: 'complete',
              ttlMs: 0,
              cacheScope: 'private',
              tools: [{ name: 'weather', description: 'The weather where the user is', inputSchema: { type: 'object', properties: {} } }],
            },
          });
        case 'tools/call': {
          const answer = rpc.params?.inputResponses?.where;
          if (!answer) {
            return reply({
              result: {
                resultType: 'input_required',
                inputRequests: {
                  where: { method: 'elicitation/create', params: { mode: 'form', message: 'Which city?', requestedSchema: schema } },
                },
                requestState: 'opaque-state-1',
              },
            });
          }
          retries.push(rpc.params);
          const text = answer.action === 'accept' ? `Sunny in ${String(answer.content?.city)}` : `No city (${answer.action})`;
          return reply({ result: { resultType: 'complete', content: [{ type: 'text', text }] } });
        }
        default:
          // A 2026-only server: `initialize` and anything else it does not know is an error.
          return reply({ error: { code: -32601, message: `Method not found: ${rpc.method}` } }, rpc.method === 'initialize' ? 400 : 200);
      }
    });
  });
  return { server, methods, retries };
}

describe('a 2026-07-28 server, with the same client as 2025 servers', () => {
  const { server, methods, retries } = modernServer();
  const forms: ElicitRequest['params'][] = [];
  let connections: McpConnections;

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    connections = new McpConnections([{ name: 'weather', source: 'settings', type: 'http', url, headers: {} }], {
      logger: memoryLogger(),
      // The user types a city into the form.
      elicit: async (server, params) => {
        assert.equal(server, 'weather');
        forms.push(params);
        return { action: 'accept', content: { city: 'Lisbon' } };
      },
    });
  });
  after(async () => {
    await connections.dispose();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('connects without initialize, and the form asked for in an input-required result reaches the user and the server', async () => {
    await connections.ensureStarted();
    const [status] = connections.status;
    assert.equal(status.state, 'running', status.message);
    assert.equal(methods[0], 'server/discover');
    assert.ok(!methods.includes('initialize'), `no initialize was sent: ${methods.join(', ')}`);

    const result = await runTool(connections, { id: 'c1', name: 'weather', arguments: {} });
    assert.equal(result.outcome, 'done', result.content);
    assert.equal(result.content, 'Sunny in Lisbon');
    assert.equal(forms.length, 1);
    assert.equal(forms[0].message, 'Which city?');
    assert.deepEqual((forms[0] as { requestedSchema?: unknown }).requestedSchema, schema);
    assert.equal(retries.length, 1);
    assert.equal(retries[0]?.requestState, 'opaque-state-1', 'the request state is echoed in the retry');
  });
});
