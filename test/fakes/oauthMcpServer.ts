/**
 * A local OAuth-protected MCP server over streamable HTTP, built from the MCP SDK's own server pieces: its
 * authorization-server router (metadata, dynamic registration, PKCE-checked token exchange) and the protected
 * resource's metadata on one port, `requireBearerAuth` in front of /mcp (401 with `WWW-Authenticate: Bearer
 * resource_metadata=...`), and the SDK's demo provider, which approves every authorization request at once and
 * redirects to the client's redirect_uri with the code, as a user who clicks "Allow" would.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { mcpAuthRouter, getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { DemoInMemoryAuthProvider } from '@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js';

// express comes with the SDK, its types do not (no @types/express here): the little this server uses, typed.
type Request = IncomingMessage & { body?: unknown };
type Next = (error?: unknown) => void;
type Handler = (req: Request, res: ServerResponse, next: Next) => unknown;
interface App {
  use(...handlers: (string | Handler)[]): void;
  all(path: string, handler: (req: Request, res: ServerResponse) => Promise<void>): void;
  listen(port: number, host: string): Server;
}
const express = require('express') as { (): App; json(): Handler };

export const SECRET_TOOL = 'vault-secret';
export const SECRET = 'The vault code is 7-4-1-9.';

export class OAuthMcpServer {
  private server?: Server;
  private provider?: DemoInMemoryAuthProvider;
  /** Requests to /authorize, i.e. browser steps that reached the authorization server. */
  authorizations = 0;
  /** Tool calls that got through with a valid token. */
  calls = 0;
  /** Requests to /mcp answered 401. */
  refused = 0;
  url = '';

  async start(): Promise<void> {
    const app = express();
    this.server = app.listen(0, '127.0.0.1');
    const server = this.server;
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const mcpUrl = new URL('/mcp', origin);
    this.url = mcpUrl.href;
    const provider = (this.provider = new DemoInMemoryAuthProvider());
    app.use('/authorize', (_req, _res, next) => {
      this.authorizations++;
      next();
    });
    app.use(mcpAuthRouter({ provider, issuerUrl: new URL(origin), resourceServerUrl: mcpUrl, scopesSupported: ['mcp:tools'] }));
    const bearer = requireBearerAuth({ verifier: provider, resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl) });
    app.use('/mcp', (req, res, next) => {
      res.on('finish', () => res.statusCode === 401 && this.refused++);
      bearer(req, res, next);
    });
    app.use('/mcp', express.json());
    // Stateless: a fresh server and transport for every request, so no session outlives a token.
    app.all('/mcp', async (req, res) => {
      const mcp = new McpServer({ name: 'oauth-vault', version: '1.0.0' });
      mcp.registerTool(SECRET_TOOL, { description: 'Reads the code from the vault (needs sign-in).' }, async () => {
        this.calls++;
        return { content: [{ type: 'text', text: SECRET }] };
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => void transport.close().then(() => mcp.close()));
      await mcp.connect(transport);
      await transport.handleRequest(req, res, req.body);
    });
  }

  /** Tokens the server has issued stop working, as when an administrator revokes them. */
  revokeAll(): void {
    (this.provider as unknown as { tokens: Map<string, unknown> } | undefined)?.tokens.clear();
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
