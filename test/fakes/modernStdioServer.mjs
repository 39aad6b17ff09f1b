// A stdio MCP server that speaks only the 2026-07-28 revision: it answers `server/discover` and refuses the 2025
// `initialize` handshake (-32601), as a server that dropped the old revision would. No such server is published
// on npm yet; the shapes follow the conformance suite's 2026 scenario servers (see test/unit/mcpModernEra.test.ts).
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const VERSION = '2026-07-28';
if (process.env.START_COUNT_FILE) appendFileSync(process.env.START_COUNT_FILE, `${process.pid}\n`);
const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
const complete = { resultType: 'complete', ttlMs: 0, cacheScope: 'private' };

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const rpc = JSON.parse(line);
  if (rpc.id === undefined) return;
  switch (rpc.method) {
    case 'server/discover':
      return send({
        id: rpc.id,
        result: {
          ...complete,
          supportedVersions: [VERSION],
          capabilities: { tools: {} },
          serverInfo: { name: 'modern-stdio', version: '1.0.0' },
        },
      });
    case 'tools/list':
      return send({
        id: rpc.id,
        result: {
          ...complete,
          tools: [{ name: 'now', description: 'The time on the server', inputSchema: { type: 'object', properties: {} } }],
        },
      });
    default:
      return send({ id: rpc.id, error: { code: -32601, message: `Method not found: ${rpc.method}` } });
  }
});
