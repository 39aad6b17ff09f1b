/**
 * What the SDK's auth() reads while signing in (protected-resource and authorization-server metadata,
 * registration, token) goes through a bounded fetch: a server that answers a metadata request with a body that
 * never ends, or with headers and then nothing, must not hold the sign-in or grow the extension host. Real HTTP
 * servers on loopback; the SDK's real auth().
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { SecretStore } from '../../src/tools/mcp/oauth/oauthProvider';
import { ServerAuth } from '../../src/tools/mcp/oauth/serverAuth';
import { memoryLogger } from '../fakes/mcpServers';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.closeAllConnections();
  return Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server whose every metadata document is answered by `answer`; counts the bytes it managed to send. */
async function metadataServer(
  answer: (res: ServerResponse, sent: { bytes: number }) => void,
): Promise<{ url: string; sent: { bytes: number } }> {
  const sent = { bytes: 0 };
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/.well-known/')) return answer(res, sent);
    res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, sent };
}

/** JSON that never ends: an opening brace, then a string that goes on as long as the client reads. */
function endless(res: ServerResponse, sent: { bytes: number }): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.write('{"resource":"');
  const chunk = 'x'.repeat(64 * 1024);
  const more = () => {
    if (res.destroyed) return;
    sent.bytes += chunk.length;
    if (res.write(chunk)) setImmediate(more);
    else res.once('drain', more);
  };
  res.on('close', () => res.destroy());
  more();
}

function signInFor(url: string): ServerAuth {
  const secrets = new Map<string, string>();
  const store: SecretStore = {
    get: async (k) => secrets.get(k),
    store: async (k, v) => void secrets.set(k, v),
    delete: async (k) => void secrets.delete(k),
  };
  return new ServerAuth(
    { name: 'limits', source: 'settings', type: 'http', url, headers: {} },
    {
      store,
      clientName: 'Model Chat tests',
      openSignInPage: async () => assert.fail('the browser must not open: discovery never completed'),
    },
    memoryLogger(),
  );
}

describe('MCP sign-in: what the authorization flow reads is bounded', () => {
  it('ends with a clear error when a metadata document never ends, having read about 1 MiB', async () => {
    const { url, sent } = await metadataServer(endless);
    const started = Date.now();
    await assert.rejects(signInFor(url).signIn(AbortSignal.timeout(60_000)), (e: Error) => {
      assert.match(e.message, /more than 1 MiB/, e.message);
      return true;
    });
    assert.ok(Date.now() - started < 30_000, 'failed by the size cap, not by the timeout');
    // The server may have buffered a little ahead of what was read, but not tens of megabytes.
    assert.ok(sent.bytes < 16 * 1024 * 1024, `the server sent ${sent.bytes} bytes`);
  });

  it("stops at the user's Cancel while a metadata request is stalled after its headers", async () => {
    let requests = 0;
    const { url } = await metadataServer((res) => {
      requests++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{');
    });
    const cancel = new AbortController();
    const signingIn = signInFor(url).signIn(cancel.signal);
    const until = Date.now() + 10_000;
    while (requests === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.ok(requests > 0, 'the metadata request was made');
    const cancelled = Date.now();
    cancel.abort(new Error('cancelled by the user'));
    await assert.rejects(signingIn);
    assert.ok(Date.now() - cancelled < 2_000, `ended ${Date.now() - cancelled} ms after Cancel, not at the 10 s limit`);
  });
});
