/**
 * The whole sign-in against a real OAuth-protected MCP server (the SDK's own authorization-server and bearer
 * middleware, test/fakes/oauthMcpServer.ts): needs sign-in at first, the browser step (here a fetch that follows
 * the authorization server's redirect to our loopback listener) brings tokens, the tool works, sign-out needs
 * sign-in again. The editor-side of the same path runs in test/e2e/mcpSignIn.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import type { SecretStore, SignInRequest } from '../../src/tools/mcp/oauth/oauthProvider';
import { runTool } from '../../src/tools/mcp/toolRunner';
import { memoryLogger } from '../fakes/mcpServers';
import { OAuthMcpServer, SECRET, SECRET_TOOL } from '../fakes/oauthMcpServer';

const server = new OAuthMcpServer();
const secrets = new Map<string, string>();
const store: SecretStore = {
  get: async (k) => secrets.get(k),
  store: async (k, v) => void secrets.set(k, v),
  delete: async (k) => void secrets.delete(k),
};
const opened: SignInRequest[] = [];
let connections: McpConnections;

describe('MCP sign-in against an OAuth-protected server', () => {
  before(async () => {
    await server.start();
    connections = new McpConnections([{ name: 'vault', source: 'settings', type: 'http', url: server.url, headers: {} }], {
      logger: memoryLogger(),
      auth: {
        store,
        clientName: 'Model Chat tests',
        timeoutMs: 30_000,
        // The browser: it follows the authorization server's redirect back to the loopback listener.
        openSignInPage: async (request) => {
          opened.push(request);
          if (!request.userStarted) return false;
          await (await fetch(request.url)).text();
          return true;
        },
      },
    });
  });
  after(async () => {
    await connections.dispose();
    await server.stop();
  });

  it('needs sign-in, signs in through the browser step, calls the tool, and needs sign-in again after sign-out', async () => {
    await connections.ensureStarted();
    const [status] = connections.status;
    assert.equal(status.state, 'needsAuth', status.message);
    assert.match(status.message ?? '', /needs you to sign in/);
    assert.doesNotMatch(status.message ?? '', /SSE/);
    assert.equal(opened.length, 0, 'no browser opened before the user asked');
    assert.ok(server.refused >= 1);

    await connections.signIn('vault', AbortSignal.timeout(30_000));
    assert.equal(connections.status[0].state, 'running', connections.status[0].message);
    assert.equal(server.authorizations, 1);
    assert.equal(opened.length, 1);
    assert.match(opened[0].url.searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.equal(opened[0].url.searchParams.get('resource'), server.url);
    assert.ok(opened[0].url.searchParams.get('code_challenge'));
    assert.ok(
      [...secrets.keys()].some((k) => k.includes(server.url)),
      'tokens saved under the server URL',
    );

    const call = await runTool(connections, { name: SECRET_TOOL, arguments: {} });
    assert.equal(call.outcome, 'done', call.content);
    assert.match(call.content, new RegExp(SECRET.replace(/\./g, '\\.')));
    assert.equal(server.calls, 1);

    await connections.signOut('vault');
    assert.equal(secrets.size, 0, 'tokens and registration deleted');
    const again = await runTool(connections, { name: SECRET_TOOL, arguments: {} });
    assert.notEqual(again.outcome, 'done');
    assert.equal(connections.status[0].state, 'needsAuth', connections.status[0].message);
    assert.deepEqual(connections.tools, [], 'its tools are not offered to the model until the user signs in again');
    assert.equal(server.calls, 1);
  });
});
