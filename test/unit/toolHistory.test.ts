/**
 * Tool calls and their results in later turns: after a tool turn, every later request carries the assistant's
 * calls and the results as the model saw them, in each provider's own shape, also after a save and restore, a
 * regenerate, an edit-and-resend, a retry and a switch of endpoint. Real ChatSession, the real ollama and openai
 * clients against the scripted servers, the published MCP server-everything over stdio, a real ConversationStore.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { createProvider } from '../../src/streaming/providers/createProvider';
import type { EndpointConfig } from '../../src/streaming/providers/provider';
import { toOpenAIMessages } from '../../src/streaming/providers/openai/openaiMessages';
import { ConversationStore } from '../../src/history/conversationStore';
import { fileNameOf } from '../../src/history/conversationFiles';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { McpToolSupport } from '../../src/tools/mcp/mcpToolSupport';
import { everythingBin, memoryLogger, nodeServer } from '../fakes/mcpServers';
import { answerLines as ollamaAnswer, FakeOllama } from '../fakes/ollamaServer';
import { answerLines as openaiAnswer, DONE, finishLine, roleLine, toolCallLine, FakeOpenAI } from '../fakes/openaiServer';

const silent = { info() {}, warn() {}, error() {} };
const MODEL = 'tool-model';
const ollamaCall = (name: string, args: Record<string, unknown>) => ({ function: { name, arguments: args } });
/**
 * A tool call the way Gemini's OpenAI compatibility layer streams it: no `index`, the arguments whole in one
 * chunk, `extra_content.google.thought_signature` on the call, and `finish_reason: "stop"` (shape from Google's
 * "OpenAI compatibility" page, section "Thought signatures", ai.google.dev/gemini-api/docs/openai).
 */
const SIGNATURE = 'CiQB0e2Kb1ZsdGhvdWdodF9zaWduYXR1cmU=';
const geminiCall = (id: string, name: string, args: string) => [
  roleLine(MODEL),
  toolCallLine(MODEL, [
    {
      id,
      type: 'function',
      function: { name, arguments: args },
      extra_content: { google: { thought_signature: SIGNATURE } },
    } as never,
  ]),
  finishLine(MODEL, 'stop'),
  DONE,
];

describe('tool calls and results in later turns', { timeout: 90_000 }, () => {
  const ollama = new FakeOllama();
  const openai = new FakeOpenAI();
  const dir = mkdtempSync(join(tmpdir(), 'model-chat-tool-history-'));
  let connections: McpConnections;
  let endpoint: EndpointConfig;
  let tools: McpToolSupport;
  before(async () => {
    await Promise.all([ollama.start(), openai.start()]);
    connections = new McpConnections([nodeServer('everything', everythingBin())], { logger: memoryLogger() });
    tools = new McpToolSupport(connections, {
      approval: () => 'always',
      timeoutMs: () => 20_000,
      alwaysAllowed: () => new Set(),
      rememberAlwaysAllowed: () => {},
    });
  });
  after(async () => {
    await connections.dispose();
    await Promise.all([ollama.stop(), openai.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    ollama.requests.length = 0;
    openai.reset();
    endpoint = { name: 'Local', type: 'ollama', url: ollama.url };
  });
  const ollamaEndpoint = () => ({ name: 'Local', type: 'ollama' as const, url: ollama.url });
  const openaiEndpoint = () => ({ name: 'Compat', type: 'openai' as const, url: openai.url });
  const newSession = (persist?: ConversationStore) =>
    new ChatSession({
      config: () => ({ endpoint, model: MODEL, maxUpdatesPerSecond: 50 }),
      providerFor: (e) => createProvider(e, e.type === 'openai' ? 'sk-test' : undefined),
      post: () => {},
      log: silent,
      tools,
      ...(persist ? { persist } : {}),
    });
  /** Ollama: the first request asks for echo, every other one answers with text. */
  const ollamaToolThenText = () => {
    ollama.onChat = (body) => ({
      steps:
        body.messages.at(-1).role === 'user' && body.messages.at(-1).content === 'Echo hi'
          ? ollamaAnswer(body.model, [], { toolCalls: [ollamaCall('echo', { message: 'hi' })] })
          : ollamaAnswer(body.model, body.messages.at(-1).role === 'tool' ? ['The echo said hi.'] : ['It said: Echo: hi']),
    });
  };
  const lastOllamaMessages = () => ollama.chatRequests.at(-1)!.body.messages;
  const lastOpenAIMessages = () => openai.chatRequests.at(-1)!.body.messages;
  /** The tool exchange of the first turn as Ollama gets it in later requests. */
  const OLLAMA_EXCHANGE = [
    { role: 'user', content: 'Echo hi' },
    { role: 'assistant', content: '', tool_calls: [ollamaCall('echo', { message: 'hi' })] },
    { role: 'tool', content: 'Echo: hi', tool_name: 'echo' },
    { role: 'assistant', content: 'The echo said hi.' },
  ];

  it('Ollama: the next question carries the call on the assistant message and the result as role "tool" with tool_name', async () => {
    ollamaToolThenText();
    const s = newSession();
    s.send('Echo hi');
    await s.idle();
    s.send('What did the tool say?');
    await s.idle();
    assert.equal(ollama.chatRequests.length, 3);
    assert.deepEqual(lastOllamaMessages(), [...OLLAMA_EXCHANGE, { role: 'user', content: 'What did the tool say?' }]);
  });

  it('OpenAI: the next question carries tool_calls with the server ids, tool_call_id, and the provider fields unchanged', async () => {
    endpoint = openaiEndpoint();
    openai.onChat = (body, i) => ({
      steps: i === 0 ? geminiCall('function-call-1', 'echo', '{"message":"hi"}') : openaiAnswer(MODEL, [i === 1 ? 'Echoed.' : 'Echo: hi']),
    });
    const s = newSession();
    s.send('Echo hi');
    await s.idle();
    s.send('What did the tool say?');
    await s.idle();
    assert.equal(openai.chatRequests.length, 3);
    const exchange = [
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            extra_content: { google: { thought_signature: SIGNATURE } },
            id: 'function-call-1',
            type: 'function',
            function: { name: 'echo', arguments: '{"message":"hi"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'function-call-1', content: 'Echo: hi' },
    ];
    assert.deepEqual(openai.chatRequests[1].body.messages.slice(1), exchange, 'within the turn');
    assert.deepEqual(lastOpenAIMessages(), [
      { role: 'user', content: 'Echo hi' },
      ...exchange,
      { role: 'assistant', content: 'Echoed.' },
      { role: 'user', content: 'What did the tool say?' },
    ]);
  });

  it('a failed call goes back as the error the model saw (an unknown tool, with its "Error:" reply)', async () => {
    ollama.onChat = (body, i) => ({
      steps: i === 0 ? ollamaAnswer(body.model, [], { toolCalls: [ollamaCall('no-such-tool', {})] }) : ollamaAnswer(body.model, ['Sorry.']),
    });
    const store = new ConversationStore({ dir: join(dir, 'failed') });
    const s = newSession(store);
    s.send('Use a tool');
    await s.idle();
    const withinTurn = ollama.chatRequests[1].body.messages.at(-1);
    s.send('Again?');
    await s.idle();
    const messages = lastOllamaMessages();
    assert.equal(messages.length, 5);
    assert.deepEqual(messages[1].tool_calls, [ollamaCall('no-such-tool', {})]);
    assert.equal(withinTurn.role, 'tool');
    assert.match(withinTurn.content, /^Error: There is no tool named 'no-such-tool'/);
    assert.deepEqual(messages[2], withinTurn, 'later turns send the result exactly as the model first got it');

    await store.idle();
    const { conversation } = await new ConversationStore({ dir: join(dir, 'failed') }).load(s.id);
    assert.equal(conversation!.messages[2].call!.reply, withinTurn.content, 'a reply that differs from the card is stored');
    const again = newSession();
    assert.ok(again.restore(conversation!));
    again.send('And after a reload?');
    await again.idle();
    assert.deepEqual(lastOllamaMessages()[2], withinTurn);
  });

  it('survives a save and a reload: the store keeps each call (id, reply) and a restored session sends it all again', async () => {
    ollamaToolThenText();
    const store = new ConversationStore({ dir: join(dir, 'reload') });
    const s = newSession(store);
    s.send('Echo hi');
    await s.idle();
    await store.idle();
    const reloaded = new ConversationStore({ dir: join(dir, 'reload') });
    const { conversations } = await reloaded.list();
    const { conversation } = await reloaded.load(conversations[0].id);
    const card = conversation!.messages.find((m) => m.role === 'tool')!;
    assert.match(card.call!.id, /^call_[0-9a-f]{24}$/, 'Ollama sends no id: one is given and stored');
    assert.equal(card.call!.reply, undefined, 'a result the card holds already is not stored twice');
    const again = newSession(reloaded);
    assert.ok(again.restore(conversation!));
    again.send('What did the tool say?');
    await again.idle();
    assert.deepEqual(lastOllamaMessages(), [...OLLAMA_EXCHANGE, { role: 'user', content: 'What did the tool say?' }]);

    // The same history on an OpenAI endpoint after the reload: the stored id pairs call and result.
    endpoint = openaiEndpoint();
    openai.onChat = () => ({ steps: openaiAnswer(MODEL, ['Yes.']) });
    again.send('Sure?');
    await again.idle();
    const [, assistant, tool] = lastOpenAIMessages();
    assert.equal(assistant.tool_calls[0].id, card.call!.id);
    assert.equal(tool.tool_call_id, card.call!.id);
  });

  it('a file written before calls were kept still loads, and its tool exchange is sent with ids made from the cards', async () => {
    ollamaToolThenText();
    const store = new ConversationStore({ dir: join(dir, 'old') });
    const s = newSession(store);
    s.send('Echo hi');
    await s.idle();
    await store.idle();
    const file = join(dir, 'old', fileNameOf(s.id));
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    for (const m of raw.conversation.messages) delete m.call;
    writeFileSync(file, JSON.stringify(raw));
    const old = new ConversationStore({ dir: join(dir, 'old') });
    const { conversation, problems } = await old.load(s.id);
    assert.deepEqual(problems, []);
    endpoint = openaiEndpoint();
    openai.onChat = () => ({ steps: openaiAnswer(MODEL, ['Yes.']) });
    const again = newSession(old);
    assert.ok(again.restore(conversation!));
    again.send('And now?');
    await again.idle();
    const [, assistant, tool] = lastOpenAIMessages();
    assert.match(assistant.tool_calls[0].id, /^call_[0-9a-f]{24}$/);
    assert.equal(tool.tool_call_id, assistant.tool_calls[0].id);
    assert.equal(tool.content, 'Echo: hi');
  });

  it('regenerate, edit-and-resend and retry all send the earlier tool exchange again', async () => {
    ollamaToolThenText();
    const s = newSession();
    s.send('Echo hi');
    await s.idle();
    s.send('What did the tool say?');
    await s.idle();
    const lastAnswer = () => s.snapshot().messages.at(-1)!;
    const expected = [...OLLAMA_EXCHANGE, { role: 'user', content: 'What did the tool say?' }];

    assert.ok(s.regenerate(lastAnswer().id));
    await s.idle();
    assert.deepEqual(lastOllamaMessages(), expected, 'regenerate');

    const question = s
      .snapshot()
      .messages.filter((m) => m.role === 'user')
      .at(-1)!;
    assert.ok(s.editAndResend(question.id, 'Repeat the tool result'));
    await s.idle();
    assert.deepEqual(lastOllamaMessages(), [...OLLAMA_EXCHANGE, { role: 'user', content: 'Repeat the tool result' }], 'edit-and-resend');

    ollama.onChat = () => ({ status: 500, error: 'model runner crashed' });
    s.send('Once more');
    await s.idle();
    assert.equal(lastAnswer().state, 'error');
    ollamaToolThenText();
    assert.ok(s.retry(lastAnswer().id));
    await s.idle();
    const messages = lastOllamaMessages();
    assert.deepEqual(messages.slice(0, 4), OLLAMA_EXCHANGE, 'retry');
    assert.deepEqual(messages.at(-1), { role: 'user', content: 'Once more' });
  });

  it('regenerating the tool turn itself asks again without its old calls', async () => {
    ollamaToolThenText();
    const s = newSession();
    s.send('Echo hi');
    await s.idle();
    const answer = s
      .snapshot()
      .messages.filter((m) => m.role === 'assistant')
      .at(-1)!;
    assert.ok(s.regenerate(answer.id));
    await s.idle();
    assert.deepEqual(ollama.chatRequests[2].body.messages, [{ role: 'user', content: 'Echo hi' }]);
    assert.deepEqual(lastOllamaMessages(), OLLAMA_EXCHANGE.slice(0, 3), 'the new round carries only the new call');
  });

  it('history made on OpenAI is valid on Ollama and back: tool_name from the card, ids paired, provider fields only to OpenAI', async () => {
    endpoint = openaiEndpoint();
    openai.onChat = (body, i) => ({
      steps: i === 0 ? geminiCall('function-call-7', 'get-sum', '{"a":2,"b":3}') : openaiAnswer(MODEL, ['Five.']),
    });
    const s = newSession();
    s.send('Add 2 and 3');
    await s.idle();
    endpoint = ollamaEndpoint();
    ollama.onChat = (body) => ({ steps: ollamaAnswer(body.model, ['Five, as before.']) });
    s.send('Sure?');
    await s.idle();
    const onOllama = lastOllamaMessages();
    assert.deepEqual(onOllama.slice(1, 3), [
      { role: 'assistant', content: '', tool_calls: [ollamaCall('get-sum', { a: 2, b: 3 })] },
      { role: 'tool', content: 'The sum of 2 and 3 is 5.', tool_name: 'get-sum' },
    ]);
    endpoint = openaiEndpoint();
    s.send('Really?');
    await s.idle();
    const onOpenAI = lastOpenAIMessages();
    assert.deepEqual(
      onOpenAI.map((m: any) => m.role),
      ['user', 'assistant', 'tool', 'assistant', 'user', 'assistant', 'user'],
    );
    assert.deepEqual(onOpenAI[1].tool_calls[0], {
      extra_content: { google: { thought_signature: SIGNATURE } },
      id: 'function-call-7',
      type: 'function',
      function: { name: 'get-sum', arguments: '{"a":2,"b":3}' },
    });
    assert.equal(onOpenAI[2].tool_call_id, 'function-call-7');
  });

  it('history made on Ollama gets one distinct id per call on OpenAI, each result naming its own', async () => {
    ollama.onChat = (body, i) => ({
      steps:
        i === 0
          ? ollamaAnswer(body.model, [], { toolCalls: [ollamaCall('echo', { message: 'a' }), ollamaCall('echo', { message: 'b' })] })
          : ollamaAnswer(body.model, ['Both echoed.']),
    });
    const s = newSession();
    s.send('Echo twice');
    await s.idle();
    endpoint = openaiEndpoint();
    openai.onChat = () => ({ steps: openaiAnswer(MODEL, ['a then b']) });
    s.send('In which order?');
    await s.idle();
    const [, assistant, first, second] = lastOpenAIMessages();
    const ids = assistant.tool_calls.map((c: any) => c.id);
    assert.equal(new Set(ids).size, 2);
    for (const id of ids) assert.ok(id.length <= 40, `${id}: OpenAI takes ids of at most 40 characters`);
    assert.deepEqual(
      [first, second].map((m: any) => [m.role, m.tool_call_id, m.content]),
      [
        ['tool', ids[0], 'Echo: a'],
        ['tool', ids[1], 'Echo: b'],
      ],
    );
    assert.deepEqual(
      assistant.tool_calls.map((c: any) => JSON.parse(c.function.arguments)),
      [{ message: 'a' }, { message: 'b' }],
    );
  });

  it('the OpenAI mapping pairs results that name no call with the calls in order, never reusing an id', () => {
    const wire = toOpenAIMessages([
      { role: 'assistant', content: '', toolCalls: [{ name: 'a', arguments: {} }] },
      { role: 'tool', content: '1', toolName: 'a' },
      { role: 'assistant', content: '', toolCalls: [{ name: 'b', arguments: {} }] },
      { role: 'tool', content: '2', toolName: 'b' },
    ]) as any[];
    assert.equal(wire[1].tool_call_id, wire[0].tool_calls[0].id);
    assert.equal(wire[3].tool_call_id, wire[2].tool_calls[0].id);
    assert.notEqual(wire[0].tool_calls[0].id, wire[2].tool_calls[0].id);
  });
});
