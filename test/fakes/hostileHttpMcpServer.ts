/**
 * A hostile MCP server over Streamable HTTP, spoken by hand (the SDK's server would never send what it sends):
 * the handshake and tools/list are normal, then each tool answers its call in a way no client should buffer:
 * `flood_json` an endless JSON body, `flood_event` one SSE event that never ends (many `data:` lines, no blank
 * line), `many_events` many normal events that together outweigh any per-message cap (must pass), and
 * `slow_stream` a progress event every few milliseconds forever (for Stop). Every endless body stops by itself
 * after `safetyBytes`, so a client without a cap fails its test instead of exhausting the machine.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer, readBody } from './loopbackServer';

const MiB = 1024 * 1024;
const TOOLS = ['flood_json', 'flood_event', 'many_events', 'slow_stream'].map((name) => ({
  name,
  description: `hostile: ${name}`,
  inputSchema: { type: 'object', properties: {} },
}));

interface Rpc {
  id?: number | string;
  method?: string;
  params?: { name?: string; _meta?: { progressToken?: number | string } };
}

export class HostileHttpMcpServer extends LoopbackServer {
  protected override readonly urlPath = '/mcp';
  /** Bytes of body written per tool call before the client went away (or safetyBytes was reached). */
  readonly sent = new Map<string, number>();
  /** Tools whose response the client closed before its end. */
  readonly closedEarly = new Set<string>();
  /** Requests cancelled with notifications/cancelled, by request id. */
  readonly cancelled: Array<number | string> = [];

  constructor(
    private readonly safetyBytes = 256 * MiB,
    /** many_events: how many events of `eventBytes` before the result. */
    readonly manyEvents = { count: 48, eventBytes: 512 * 1024 },
  ) {
    super();
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const rpc = (await readBody(req)) as Rpc;
    if (rpc.method === 'notifications/cancelled') {
      this.cancelled.push((rpc.params as { requestId: number | string }).requestId);
      this.notify();
    }
    if (rpc.id === undefined) return void res.writeHead(202).end();
    if (rpc.method === 'initialize') {
      return this.json(res, rpc.id, {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'hostile-http', version: '1.0.0' },
      });
    }
    if (rpc.method === 'tools/list') return this.json(res, rpc.id, { tools: TOOLS });
    if (rpc.method !== 'tools/call') {
      const error = { code: -32601, message: `Method not found: ${rpc.method}` };
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: rpc.id, error }));
    }
    const tool = rpc.params?.name ?? '';
    res.on('close', () => {
      if (!res.writableFinished) this.closedEarly.add(tool);
      this.notify();
    });
    const token = rpc.params?._meta?.progressToken;
    const resultHead = `{"jsonrpc":"2.0","id":${JSON.stringify(rpc.id)},"result":{"content":[{"type":"text","text":"`;
    if (tool === 'flood_json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return this.pump(res, tool, resultHead, Buffer.from('x'.repeat(64 * 1024)));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    if (tool === 'flood_event') {
      // Each line is short: only counting the whole event (bytes since the last blank line) catches it.
      return this.pump(res, tool, `event: message\ndata: ${resultHead}\n`, Buffer.from(`data: ${'x'.repeat(16 * 1024)}\n`));
    }
    if (tool === 'many_events') {
      const { count, eventBytes } = this.manyEvents;
      const message = 'y'.repeat(eventBytes);
      for (let i = 1; i <= count; i++) {
        const progress = {
          jsonrpc: '2.0',
          method: 'notifications/progress',
          params: { progressToken: token, progress: i, total: count, message },
        };
        const event = `event: message\ndata: ${JSON.stringify(progress)}\n\n`;
        this.count(tool, event.length);
        if (!res.write(event)) await new Promise((r) => res.once('drain', r));
        if (res.destroyed) return;
      }
      const result = { jsonrpc: '2.0', id: rpc.id, result: { content: [{ type: 'text', text: `all ${count} events arrived` }] } };
      return void res.end(`event: message\ndata: ${JSON.stringify(result)}\n\n`);
    }
    // slow_stream: small progress events forever, until the client goes away.
    let i = 0;
    const timer = setInterval(() => {
      const progress = { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: ++i } };
      const line = `event: message\ndata: ${JSON.stringify(progress)}\n\n`;
      if (res.destroyed) return clearInterval(timer);
      res.write(line);
      this.count(tool, line.length);
    }, 20);
    res.on('close', () => clearInterval(timer));
  }

  private json(res: ServerResponse, id: number | string, result: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, result }));
  }

  private count(tool: string, bytes: number): void {
    this.sent.set(tool, (this.sent.get(tool) ?? 0) + bytes);
  }

  /** Writes `head`, then `chunk` as fast as the client reads, until it goes away or safetyBytes is reached. */
  private pump(res: ServerResponse, tool: string, head: string, chunk: Buffer): void {
    res.write(head);
    this.count(tool, head.length);
    const go = () => {
      while (!res.destroyed && (this.sent.get(tool) ?? 0) < this.safetyBytes) {
        this.count(tool, chunk.length);
        if (!res.write(chunk)) return void res.once('drain', go);
      }
    };
    go();
  }
}
