/**
 * The MCP SDK, loaded on first use rather than when the extension starts. With zod and ajv it was the
 * largest part of what activation evaluated (bundled alone it takes ~100 ms to load on the dev machine),
 * and a chat that never uses tools should not pay for it.
 */
import type * as AuthModule from '@modelcontextprotocol/sdk/client/auth.js';
import type * as ClientModule from '@modelcontextprotocol/sdk/client/index.js';
import type * as SseModule from '@modelcontextprotocol/sdk/client/sse.js';
import type * as StdioModule from '@modelcontextprotocol/sdk/client/stdio.js';
import type * as HttpModule from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type * as TypesModule from '@modelcontextprotocol/sdk/types.js';

export interface McpSdk {
  Client: typeof ClientModule.Client;
  SSEClientTransport: typeof SseModule.SSEClientTransport;
  SseError: typeof SseModule.SseError;
  StdioClientTransport: typeof StdioModule.StdioClientTransport;
  StreamableHTTPClientTransport: typeof HttpModule.StreamableHTTPClientTransport;
  StreamableHTTPError: typeof HttpModule.StreamableHTTPError;
  McpError: typeof TypesModule.McpError;
  ErrorCode: typeof TypesModule.ErrorCode;
  ElicitRequestSchema: typeof TypesModule.ElicitRequestSchema;
  auth: typeof AuthModule.auth;
  extractWWWAuthenticateParams: typeof AuthModule.extractWWWAuthenticateParams;
  UnauthorizedError: typeof AuthModule.UnauthorizedError;
}

let loaded: McpSdk | undefined;
let loading: Promise<McpSdk> | undefined;

/**
 * Loads the SDK (once). A dynamic import, not `require`: esbuild then bundles the SDK's ESM build, which
 * it can tree-shake (the CommonJS build drags in all of zod, locales included: 1.5 MB instead of 0.9).
 */
export function loadMcpSdk(): Promise<McpSdk> {
  loading ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/sse.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
    import('@modelcontextprotocol/sdk/client/auth.js'),
  ]).then(
    ([client, sse, stdio, http, types, auth]) =>
      (loaded = {
        Client: client.Client,
        SSEClientTransport: sse.SSEClientTransport,
        SseError: sse.SseError,
        StdioClientTransport: stdio.StdioClientTransport,
        StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
        StreamableHTTPError: http.StreamableHTTPError,
        McpError: types.McpError,
        ErrorCode: types.ErrorCode,
        ElicitRequestSchema: types.ElicitRequestSchema,
        auth: auth.auth,
        extractWWWAuthenticateParams: auth.extractWWWAuthenticateParams,
        UnauthorizedError: auth.UnauthorizedError,
      }),
  );
  return loading;
}

/** The SDK, once `loadMcpSdk` has resolved (every connection awaits it before it makes a client). */
export function mcpSdk(): McpSdk {
  if (!loaded) throw new Error('The MCP SDK is used before loadMcpSdk() resolved');
  return loaded;
}

/** Whether `e` is the SDK's McpError with `code` (false before the SDK was ever needed: nothing could have thrown one). */
export function isMcpError(e: unknown, code?: keyof typeof TypesModule.ErrorCode): e is TypesModule.McpError {
  if (!loaded) return false;
  return e instanceof loaded.McpError && (code === undefined || e.code === loaded.ErrorCode[code]);
}

/** The HTTP status behind a transport error (Streamable HTTP or the older SSE transport), if there is one. */
export function httpStatusOf(e: unknown): number | undefined {
  if (!loaded) return undefined;
  if (e instanceof loaded.StreamableHTTPError || e instanceof loaded.SseError) return typeof e.code === 'number' ? e.code : undefined;
  return undefined;
}
