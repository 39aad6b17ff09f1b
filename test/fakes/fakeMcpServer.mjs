// A tiny stdio MCP server for the failure cases the real servers do not offer: dying mid-call, changing
// its tool list, hanging. Plain JavaScript so the tests spawn it with bare `node` (no tsx start-up cost).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const object = { type: 'object', properties: {} };
const tools = [
  { name: 'whoami', description: 'pid, cwd and FAKE_VAR of this process', inputSchema: object, annotations: { readOnlyHint: true } },
  { name: 'crash', description: 'exits mid-call', inputSchema: object },
  { name: 'add-tool', description: 'adds a tool named "extra" and says so', inputSchema: object },
  { name: 'hang', description: 'never answers', inputSchema: object },
  { name: 'fail', description: 'returns isError', inputSchema: object },
];

const server = new Server({ name: 'fake', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const text = (t) => ({ content: [{ type: 'text', text: t }] });
  switch (request.params.name) {
    case 'whoami':
      return text(JSON.stringify({ pid: process.pid, cwd: process.cwd(), fakeVar: process.env.FAKE_VAR ?? null }));
    case 'crash':
      console.error('fake server: crashing on purpose');
      // Exit once the request is surely in flight, without answering it.
      setTimeout(() => process.exit(3), 20);
      return new Promise(() => {});
    case 'add-tool':
      if (!tools.some((t) => t.name === 'extra')) tools.push({ name: 'extra', description: 'added later', inputSchema: object });
      await server.sendToolListChanged();
      return text('added');
    case 'hang':
      return new Promise(() => {});
    case 'fail':
      return { content: [{ type: 'text', text: 'it went wrong on purpose' }], isError: true };
    default:
      throw new Error(`unknown tool ${request.params.name}`);
  }
});
console.error(`fake server: started, pid ${process.pid}`);
await server.connect(new StdioServerTransport());
