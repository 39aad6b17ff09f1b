// A stdio MCP server that misbehaves the way a hostile or buggy one can: huge results, endless progress,
// floods of progress. Plain JavaScript so the tests spawn it with bare `node`.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const object = { type: 'object', properties: {} };
const tools = [
  { name: 'whoami', description: 'cwd of this process', inputSchema: object },
  { name: 'flood', description: 'returns `bytes` of text (default 20 MB) and `images` images', inputSchema: object },
  { name: 'progress-forever', description: 'sends progress every 20 ms and never answers', inputSchema: object },
];

const server = new Server({ name: 'hostile', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
  const args = request.params.arguments ?? {};
  const progressToken = request.params._meta?.progressToken;
  switch (request.params.name) {
    case 'whoami':
      return { content: [{ type: 'text', text: JSON.stringify({ cwd: process.cwd() }) }] };
    case 'flood': {
      const bytes = Number(args.bytes ?? 20 * 1024 * 1024);
      const line = 'x'.repeat(99) + '\n';
      const images = Array.from({ length: Number(args.images ?? 0) }, () => ({
        type: 'image',
        mimeType: 'image/png',
        data: 'A'.repeat(Number(args.imageBytes ?? 1024)),
      }));
      return { content: [{ type: 'text', text: line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes) }, ...images] };
    }
    case 'progress-forever':
      return new Promise((_, reject) => {
        let n = 0;
        const timer = setInterval(() => {
          if (progressToken !== undefined)
            void extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress: ++n, message: `still going ${n}` },
            });
        }, 20);
        extra.signal.addEventListener('abort', () => {
          clearInterval(timer);
          console.error('hostile server: call cancelled');
          reject(new Error('cancelled'));
        });
      });
    default:
      throw new Error(`unknown tool ${request.params.name}`);
  }
});
await server.connect(new StdioServerTransport());
