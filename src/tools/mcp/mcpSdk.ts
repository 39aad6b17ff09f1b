/**
 * The MCP client SDK (`@modelcontextprotocol/client` 2.x: one client for 2025-era servers and 2026-07-28 ones),
 * loaded on first use rather than when the extension starts. With zod and ajv it is the largest part of what
 * activation would evaluate, and a chat that never uses tools should not pay for it.
 */
import type * as ClientModule from '@modelcontextprotocol/client';
import type * as StdioModule from '@modelcontextprotocol/client/stdio';

export interface McpSdk {
  Client: typeof ClientModule.Client;
  SSEClientTransport: typeof ClientModule.SSEClientTransport;
  SseError: typeof ClientModule.SseError;
  StdioClientTransport: typeof StdioModule.StdioClientTransport;
  StreamableHTTPClientTransport: typeof ClientModule.StreamableHTTPClientTransport;
  SdkError: typeof ClientModule.SdkError;
  SdkHttpError: typeof ClientModule.SdkHttpError;
  SdkErrorCode: typeof ClientModule.SdkErrorCode;
  ProtocolError: typeof ClientModule.ProtocolError;
  UriTemplate: typeof ClientModule.UriTemplate;
  DpopSession: typeof ClientModule.DpopSession;
  auth: typeof ClientModule.auth;
  extractWWWAuthenticateParams: typeof ClientModule.extractWWWAuthenticateParams;
  UnauthorizedError: typeof ClientModule.UnauthorizedError;
  InsufficientScopeError: typeof ClientModule.InsufficientScopeError;
}

let loaded: McpSdk | undefined;
let loading: Promise<McpSdk> | undefined;

/**
 * Loads the SDK (once). A dynamic import, not `require`: esbuild then bundles the SDK's ESM build, which it can
 * tree-shake, and keeps it out of what activation evaluates.
 */
export function loadMcpSdk(): Promise<McpSdk> {
  loading ??= Promise.all([import('@modelcontextprotocol/client'), import('@modelcontextprotocol/client/stdio')]).then(
    ([client, stdio]) =>
      (loaded = {
        Client: client.Client,
        SSEClientTransport: client.SSEClientTransport,
        SseError: client.SseError,
        StdioClientTransport: stdio.StdioClientTransport,
        StreamableHTTPClientTransport: client.StreamableHTTPClientTransport,
        SdkError: client.SdkError,
        SdkHttpError: client.SdkHttpError,
        SdkErrorCode: client.SdkErrorCode,
        ProtocolError: client.ProtocolError,
        UriTemplate: client.UriTemplate,
        DpopSession: client.DpopSession,
        auth: client.auth,
        extractWWWAuthenticateParams: client.extractWWWAuthenticateParams,
        UnauthorizedError: client.UnauthorizedError,
        InsufficientScopeError: client.InsufficientScopeError,
      }),
  );
  return loading;
}

/** The SDK, once `loadMcpSdk` has resolved (every connection awaits it before it makes a client). */
export function mcpSdk(): McpSdk {
  if (!loaded) throw new Error('The MCP SDK is used before loadMcpSdk() resolved');
  return loaded;
}

/**
 * Whether `e` is the SDK's own failure with `code` (a timeout, a closed connection: not the server's answer), or
 * any such failure when no code is given. False before the SDK was ever needed: nothing could have thrown one.
 */
export function isSdkError(e: unknown, code?: keyof typeof ClientModule.SdkErrorCode): e is ClientModule.SdkError {
  if (!loaded) return false;
  return e instanceof loaded.SdkError && (code === undefined || e.code === loaded.SdkErrorCode[code]);
}

/** Whether `e` is a JSON-RPC error the server answered with. */
export function isProtocolError(e: unknown): e is ClientModule.ProtocolError {
  return !!loaded && e instanceof loaded.ProtocolError;
}

/** The HTTP status behind a transport error (Streamable HTTP or the older SSE transport), if there is one. */
export function httpStatusOf(e: unknown): number | undefined {
  if (!loaded) return undefined;
  if (e instanceof loaded.SdkHttpError) return e.status;
  // A 403 insufficient_scope the transport could not step up by itself (no sign-in here, or it needs the user).
  if (e instanceof loaded.InsufficientScopeError) return 403;
  if (e instanceof loaded.SseError) return typeof e.code === 'number' ? e.code : undefined;
  return undefined;
}
