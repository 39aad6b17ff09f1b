// A stdio MCP server built on the SDK's real McpServer (not a hand-written fake) that grows at runtime: its
// tools add a prompt or a resource, and McpServer then sends prompts/list_changed or resources/list_changed
// itself. One of each exists from the start, so it declares listChanged for both (clients only listen then).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const server = new McpServer({ name: 'growing', version: '1.0.0' });

const prompt = (name) =>
  server.registerPrompt(name, { description: `The ${name} prompt` }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: `This is ${name}.` } }],
  }));
const resource = (name) =>
  server.registerResource(name, `growing://${name}`, { mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: `The ${name} resource.` }],
  }));

prompt('first');
resource('first');
// The names come from a list rather than an argument: no schema library needed here.
const promptNames = ['second', 'third'];
const resourceNames = ['extra', 'more'];
server.registerTool('add_prompt', { description: 'Adds a prompt' }, () => {
  const name = promptNames.shift();
  prompt(name);
  return { content: [{ type: 'text', text: `added prompt ${name}` }] };
});
server.registerTool('add_resource', { description: 'Adds a resource' }, () => {
  const name = resourceNames.shift();
  resource(name);
  return { content: [{ type: 'text', text: `added resource ${name}` }] };
});

await server.connect(new StdioServerTransport());
