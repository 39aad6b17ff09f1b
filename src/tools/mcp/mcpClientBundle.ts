/**
 * The entry of dist/mcpClient.js: what mcpSdk.ts takes from the MCP client, as a bundle of its own. Kept out of
 * dist/extension.js because V8 parses the whole file when the extension loads, run or not: the 2.x client with its
 * ajv made activation 25 ms slower inside it. esbuild.mjs points both of mcpSdk.ts's imports here.
 */
export {
  Client,
  DpopSession,
  InsufficientScopeError,
  ProtocolError,
  SSEClientTransport,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SseError,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  UriTemplate,
  auth,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/client';
export { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
