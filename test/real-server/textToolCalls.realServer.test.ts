/**
 * Tools in the prompt against a real llama.cpp llama-server (not a fake). Started without --jinja, it refuses
 * a request with `tools` (its own error), so the chat asks again with the tools described in the system
 * prompt. The tiny model's words are random, so a per-request grammar (added to the body by a small proxy in
 * front of the server; llama-server takes `grammar` in chat completions) makes it write a Hermes
 * `<tool_call>` block, then plain words: the bytes are the server's own stream, token by token.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { HostToWebview, ToolCallInfo } from '../../src/shared/protocol';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { createProvider } from '../../src/streaming/providers/createProvider';
import type { ToolSupport } from '../../src/tools/toolSupport';
import { notInstalled, realServerAvailable, startLlamaServer, type LlamaServer } from './llamaServer';

const available = realServerAvailable(it);
const skip = available ? false : notInstalled();

const CALL = '<tool_call>\n{"name": "echo", "arguments": {"message": "hi"}}\n</tool_call>';
/** GBNF for exactly `text`. */
const exactly = (text: string) => `root ::= ${JSON.stringify(text)}`;
const WORDS = 'root ::= [a-zA-Z ,.]{1,40}';

describe('tools in the prompt against a real llama-server', { skip }, () => {
  let llama: LlamaServer;
  let proxy: Server;
  let proxyUrl: string;
  const sent: any[] = [];

  before(async () => {
    llama = await startLlamaServer({ args: ['--no-jinja', '-n', '120'] });
    proxy = createServer(async (req, res) => {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const body = raw ? JSON.parse(raw) : undefined;
      if (body?.messages) {
        sent.push(structuredClone(body));
        const answered = body.messages.some((m: any) => m.role === 'user' && String(m.content).startsWith('<tool_response'));
        body.grammar = answered ? WORDS : exactly(CALL);
      }
      const upstream = await fetch(`${llama.root}${req.url}`, {
        method: req.method,
        headers: { 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      // Chunk for chunk as the server wrote them, so the client sees its stream token by token.
      const reader = upstream.body?.getReader();
      for (let r = await reader?.read(); r && !r.done; r = await reader!.read()) res.write(r.value);
      res.end();
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`;
  });
  after(async () => {
    proxy?.close();
    await llama?.stop();
  });

  it('refused native tools: asks again with them in the prompt; the written call runs as a card, its text not shown', async () => {
    const posted: HostToWebview[] = [];
    const runs: unknown[] = [];
    const tools: ToolSupport = {
      list: async () => [
        { name: 'echo', description: 'Echoes the message', inputSchema: { type: 'object', properties: { message: { type: 'string' } } } },
      ],
      needsApproval: () => false,
      alwaysAllow: () => {},
      run: async (call) => {
        runs.push(call.arguments);
        return { outcome: 'done', content: `Echo: ${(call.arguments as { message: string }).message}`, durationMs: 1 };
      },
    };
    const session = new ChatSession({
      config: () => ({ endpoint: { name: 'llama.cpp', type: 'openai', url: proxyUrl }, model: 'tiny', maxUpdatesPerSecond: 1000 }),
      providerFor: createProvider,
      post: (m) => posted.push(m),
      log: { info() {}, warn() {}, error() {} },
      tools,
    });
    session.send('Echo hi');
    await session.idle();
    const chats = sent.filter((b) => b.messages);
    assert.equal(chats.length, 3, 'refused, the call, the answer after it');
    assert.ok(chats[0].tools, 'first asked with native tools');
    assert.equal(chats[1].tools, undefined);
    assert.match(chats[1].messages[0].content, /# Tools[\s\S]*"name":"echo"/);
    assert.deepEqual(runs, [{ message: 'hi' }], 'the call the server streamed was run once, with its arguments');
    assert.match(chats[2].messages.at(-1).content, /^<tool_response name="echo">\nEcho: hi\n<\/tool_response>$/);
    const card = posted.flatMap((m) => (typeof m !== 'string' && m.type === 'toolUpdate' ? [m.tool] : [])).at(-1) as ToolCallInfo;
    assert.equal(card.state, 'done');
    const answers = session
      .snapshot()
      .messages.filter((m) => m.role === 'assistant')
      .map((m) => m.text);
    assert.equal(answers.length, 2);
    assert.equal(answers[0], '', 'the call text is not shown');
    assert.match(answers[1], /^[a-zA-Z ,.]+$/);
    assert.equal(session.snapshot().messages.at(-1)!.state, 'done');
  });
});
