/**
 * The client the conformance suite drives (`conformance client --command …`): the project's own MCP code,
 * McpConnections and runTool, against one scenario server whose URL is the last argument. It stands in only for
 * what is not protocol: the settings (one HTTP server at that URL; a pre-registered OAuth client when the
 * scenario's context gives one), the model (it calls every tool once, with the arguments the scenario's context gives or else ones made
 * from the tool's schema), the user (every call approved; an elicitation form submitted as shown, so the server's defaults are
 * what comes back; "Sign in" pressed whenever the server shows it), the browser (it follows the authorization
 * server's redirects, which the suite approves at once, to the loopback listener) and the secret store (memory).
 * Exits non-zero when the server cannot be used, with why.
 */
import type { Tool } from '@modelcontextprotocol/client';
import type { Logger } from '../../src/shared/log';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import type { OpenSignInPage, SecretStore } from '../../src/tools/mcp/oauth/oauthProvider';
import type { HttpServerConfig } from '../../src/tools/mcp/mcpResolve';
import { runTool } from '../../src/tools/mcp/toolRunner';

const SERVER = 'conformance';
/** Presses of "Sign in" before the user gives up; the client itself stops offering it sooner when it does not help. */
const MAX_CLICKS = 5;
/** The extension publishes no client metadata document yet; the suite's authorization server accepts this one. */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

const secrets = new Map<string, string>();
const store: SecretStore = {
  get: async (key) => secrets.get(key),
  store: async (key, value) => void secrets.set(key, value),
  delete: async (key) => void secrets.delete(key),
};

/** The browser: opens the page and follows redirects until one reaches the loopback listener (the suite approves at once). */
const browser: OpenSignInPage = async ({ url }) => {
  let next = url.toString();
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(next, { redirect: 'manual' });
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return true;
    next = new URL(location, next).toString();
  }
  return true;
};

interface ScenarioContext {
  client_id?: string;
  client_secret?: string;
  /** The calls a scenario wants made, with its own arguments (what the model would have asked for). */
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
}

const context: ScenarioContext = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as ScenarioContext;

function preRegistered(): HttpServerConfig['oauth'] {
  return context.client_id ? { clientId: context.client_id, clientSecret: context.client_secret } : undefined;
}

const logger: Logger = {
  info: (m) => console.error(`info ${m}`),
  warn: (m) => console.error(`warn ${m}`),
  error: (m) => console.error(`error ${m}`),
};

/**
 * What a model would plausibly send: a value of the right type for every required property; when the
 * description asks for the schema of another tool, that tool's schema as the model was shown it.
 */
function argumentsFor(tool: Tool, shown: readonly Tool[]): Record<string, unknown> {
  const schema = tool.inputSchema;
  const args: Record<string, unknown> = {};
  for (const name of schema.required ?? []) {
    const property = (schema.properties?.[name] ?? {}) as { type?: string; enum?: unknown[]; default?: unknown; description?: string };
    const asksForSchemaOf = /inputSchema the client observed for (\S+?)[,.]? /.exec(`${property.description ?? ''} `)?.[1];
    const other = asksForSchemaOf && shown.find((t) => t.name === asksForSchemaOf);
    if (other) args[name] = other.inputSchema;
    else if (property.default !== undefined) args[name] = property.default;
    else if (property.enum?.length) args[name] = property.enum[0];
    else if (property.type === 'number' || property.type === 'integer') args[name] = 1;
    else if (property.type === 'boolean') args[name] = true;
    else if (property.type === 'array') args[name] = [];
    else if (property.type === 'object') args[name] = {};
    else args[name] = 'test';
  }
  return args;
}

async function main(): Promise<number> {
  const url = process.argv.at(-1);
  if (!url || !/^https?:/.test(url)) {
    console.error('usage: client.ts <server url>');
    return 2;
  }
  const oauth = preRegistered();
  const config: HttpServerConfig = { name: SERVER, source: 'settings', type: 'http', url, headers: {}, ...(oauth && { oauth }) };
  const connections = new McpConnections([config], {
    logger,
    clientInfo: { name: 'model-chat-conformance', version: '0.1.0' },
    // The user presses Submit on the form without typing: the form's defaults are the answer.
    elicit: async () => ({ action: 'accept', content: {} }),
    auth: { store, openSignInPage: browser, clientName: 'Model Chat (conformance)', clientMetadataUrl: CLIENT_METADATA_URL },
  });
  let clicks = 0;
  /** The user presses "Sign in" when the server shows it; false when it is not shown (or the user gave up). */
  const pressSignIn = async (): Promise<boolean> => {
    const [status] = connections.status;
    if (status.state !== 'needsAuth' || !status.canSignIn || clicks++ >= MAX_CLICKS) return false;
    console.error(`info pressing Sign in: ${status.message}`);
    await connections.signIn(SERVER);
    return true;
  };
  try {
    await connections.ensureStarted();
    while (await pressSignIn());
    const [status] = connections.status;
    if (status.state !== 'running') {
      console.error(`server not usable: ${status.state}: ${status.message}`);
      return 1;
    }
    let failures = 0;
    for (const tool of connections.tools) {
      const asked = context.toolCalls?.find((c) => c.name === tool.name);
      const call = { id: tool.name, name: tool.name, arguments: asked?.arguments ?? argumentsFor(tool, connections.tools) };
      let result = await runTool(connections, call);
      // A call refused for want of a scope: sign in again (step-up), then the model asks once more.
      while (result.outcome === 'failed' && (await pressSignIn())) result = await runTool(connections, call);
      console.log(`${tool.name}: ${result.outcome}: ${result.content.slice(0, 300)}`);
      if (result.outcome === 'failed' || result.outcome === 'timeout') failures++;
    }
    return failures ? 1 : 0;
  } finally {
    await connections.dispose();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
