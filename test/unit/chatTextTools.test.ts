/**
 * Tools without native tool calling, end to end in the host: the real ChatSession and the real ollama and
 * openai clients against the scripted servers, the published MCP server-everything over stdio. A model
 * without the "tools" capability gets the tools in its system prompt and its `<tool_call>` text becomes a
 * card; a model with native tools that writes its call as text gets the same; a server that refuses the
 * `tools` field with HTTP 400 is asked again with the tools in the prompt.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type HostToWebview, type ToolCallInfo } from '../../src/shared/protocol';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { createProvider } from '../../src/streaming/providers/createProvider';
import type { EndpointConfig } from '../../src/streaming/providers/provider';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { McpToolSupport } from '../../src/tools/mcp/mcpToolSupport';
import { everythingBin, memoryLogger, nodeServer } from '../fakes/mcpServers';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { answerLines as openaiAnswer, FakeOpenAI } from '../fakes/openaiServer';
import { publishedCalls } from '../fixtures/textToolCalls/publishedCalls';

const silent = { info() {}, warn() {}, error() {} };

/** `text` as a model streams it: a few characters a chunk, so tags and JSON are split across chunks. */
const tokens = (text: string, size = 3) =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, i * size + size));

describe('chat turns with tools in the prompt', { timeout: 60_000 }, () => {
  const ollama = new FakeOllama();
  const openai = new FakeOpenAI();
  let connections: McpConnections;
  let posted: HostToWebview[];
  let endpoint: EndpointConfig;
  let model: string;
  let session: ChatSession;

  before(async () => {
    await ollama.start();
    await openai.start();
    ollama.capabilities.set('plain-model', ['completion']);
    connections = new McpConnections([nodeServer('everything', everythingBin())], { logger: memoryLogger() });
  });
  after(async () => {
    await connections.dispose();
    await ollama.stop();
    await openai.stop();
  });
  beforeEach(() => {
    ollama.requests.length = 0;
    openai.requests.length = 0;
    posted = [];
    const tools = new McpToolSupport(connections, {
      approval: () => 'always',
      timeoutMs: () => 20_000,
      alwaysAllowed: () => new Set(),
      rememberAlwaysAllowed: () => {},
    });
    session = new ChatSession({
      config: () => ({ endpoint, model, maxUpdatesPerSecond: 1000 }),
      providerFor: createProvider,
      post: (m) => posted.push(m),
      log: silent,
      tools,
    });
  });

  const cards = (): ToolCallInfo[] => {
    const last = new Map<string, ToolCallInfo>();
    for (const m of posted) {
      if (typeof m === 'string') continue;
      if (m.type === 'messageAdded' && m.message.tool) last.set(m.message.id, m.message.tool);
      if (m.type === 'toolUpdate') last.set(m.id, m.tool);
    }
    return [...last.values()];
  };
  const answers = () =>
    session
      .snapshot()
      .messages.filter((m) => m.role === 'assistant')
      .map((m) => m.text);

  it('a model without the tools capability: tools in the system prompt, its <tool_call> text runs as a card', async () => {
    endpoint = { name: 'Local', type: 'ollama', url: ollama.url };
    model = 'plain-model';
    const written = 'Let me echo that.\n<tool_call>\n{"name": "echo", "arguments": {"message": "hi"}}\n</tool_call>';
    ollama.onChat = (body, i) => ({ steps: answerLines(body.model, i === 0 ? tokens(written) : ['The echo said hi.']) });
    session.send('Echo hi');
    await session.idle();
    const [first, second] = ollama.chatRequests.map((r) => r.body);
    assert.equal(first.tools, undefined, 'no tools field for a model that would refuse it');
    assert.equal(first.messages[0].role, 'system');
    assert.match(first.messages[0].content, /# Tools[\s\S]*\{"name":"echo","description":/);
    assert.equal(second.messages[0].content, first.messages[0].content, 'the same system prompt, byte for byte, on the next request');
    assert.equal(second.tools, undefined);
    assert.ok(!second.messages.some((m: any) => m.role === 'tool' || m.tool_calls), 'no tool roles for this model');
    assert.deepEqual(
      second.messages.slice(-2).map((m: any) => m.role),
      ['assistant', 'user'],
    );
    assert.match(
      second.messages.at(-2).content,
      /^Let me echo that\.\n<tool_call>\n\{"name":"echo","arguments":\{"message":"hi"\}\}\n<\/tool_call>$/,
    );
    assert.equal(second.messages.at(-1).content, '<tool_response name="echo">\nEcho: hi\n</tool_response>');
    const [card] = cards();
    assert.equal(card.name, 'echo');
    assert.equal(card.state, 'done');
    assert.equal(card.result?.text, 'Echo: hi');
    assert.deepEqual(answers(), ['Let me echo that.\n', 'The echo said hi.'], 'the call text is not shown');
    // Not even for a moment: no streamed piece of the first answer held any of the call.
    const streamed = posted.map((m) => (typeof m === 'string' ? m.slice(m.indexOf(':') + 1) : m.type === 'delta' ? m.text : '')).join('');
    assert.ok(!/<tool|\{"name"|<\/tool/.test(streamed), `streamed: ${JSON.stringify(streamed)}`);
    assert.ok(streamed.startsWith('Let me echo that.\n'));
  });

  it('a model with native tools that writes its call as a fenced json block (llama3.2, ollama#13519)', async () => {
    endpoint = { name: 'Local', type: 'ollama', url: ollama.url };
    model = 'tool-model';
    const fixture = publishedCalls.find((c) => c.source.endsWith('ollama/ollama/issues/13519'))!;
    const written = fixture.text.replace('query_web_search', 'echo').replace('"query": "install ollama models"', '"message": "from text"');
    ollama.onChat = (body, i) => ({ steps: answerLines(body.model, i === 0 ? tokens(written, 5) : ['Done.']) });
    session.send('Echo');
    await session.idle();
    const [first, second] = ollama.chatRequests.map((r) => r.body);
    assert.ok(
      first.tools.some((t: any) => t.function.name === 'echo'),
      'native tools offered',
    );
    assert.deepEqual(second.messages.slice(-2), [
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'echo', arguments: { message: 'from text' } } }] },
      { role: 'tool', content: 'Echo: from text', tool_name: 'echo' },
    ]);
    assert.equal(cards()[0].state, 'done');
    assert.deepEqual(answers(), ['', 'Done.']);
  });

  it('an OpenAI-compatible server that refuses tools with HTTP 400 is asked again with them in the prompt', async () => {
    endpoint = { name: 'vLLM', type: 'openai', url: openai.url };
    model = 'no-parser-model';
    // vLLM's answer when started without a tool parser (docs.vllm.ai, "Tool Calling").
    const refusal = '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set';
    openai.onChat = (body) =>
      body.tools ? { status: 400, error: refusal, errorType: 'BadRequestError' } : { steps: openaiAnswer(body.model, ['A plain answer.']) };
    session.send('Hi');
    await session.idle();
    assert.deepEqual(
      openai.chatRequests.map((r) => Boolean(r.body.tools)),
      [true, false],
    );
    assert.match(openai.chatRequests[1].body.messages[0].content, /# Tools/);
    assert.deepEqual(answers(), ['A plain answer.']);
    const last = session.snapshot().messages.at(-1)!;
    assert.equal(last.state, 'done');
    // The next turn goes straight to tools in the prompt: no second refusal.
    session.send('Again');
    await session.idle();
    assert.deepEqual(
      openai.chatRequests.map((r) => Boolean(r.body.tools)),
      [true, false, false],
    );
  });
});
