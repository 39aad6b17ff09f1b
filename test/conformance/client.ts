/**
 * The client the conformance suite drives (`conformance client --command …`): the project's own MCP code,
 * McpConnections and runTool, against one scenario server whose URL is the last argument. It stands in only for
 * what is not protocol: the settings (one HTTP server at that URL), the model (it calls every tool once, with
 * arguments made from the tool's schema) and the user (every call approved; an elicitation form submitted as
 * shown, so the server's defaults are what comes back). Exits non-zero when the server cannot be used, with why.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../src/shared/log';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import type { HttpServerConfig } from '../../src/tools/mcp/mcpResolve';
import { runTool } from '../../src/tools/mcp/toolRunner';

const SERVER = 'conformance';

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
  const config: HttpServerConfig = { name: SERVER, source: 'settings', type: 'http', url, headers: {} };
  const connections = new McpConnections([config], {
    logger,
    clientInfo: { name: 'model-chat-conformance', version: '0.1.0' },
    // The user presses Submit on the form without typing: the form's defaults are the answer.
    elicit: async () => ({ action: 'accept', content: {} }),
  });
  try {
    await connections.ensureStarted();
    const [status] = connections.status;
    if (status.state !== 'running') {
      console.error(`server not usable: ${status.state}: ${status.message}`);
      return 1;
    }
    let failures = 0;
    for (const tool of connections.tools) {
      const result = await runTool(connections, { id: tool.name, name: tool.name, arguments: argumentsFor(tool, connections.tools) });
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
