/**
 * The seed providers' wire quirks (test/fixtures/providers/, sources in its README), replayed byte for byte
 * through the real `openai` client: each streams (the provider's events, in order), renders (what the
 * session posts to the page) and round-trips (stored, restored, and sent back on the next request).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { HostToWebview, MessageSnapshot } from '../../src/shared/protocol';
import { ChatSession, CONTINUE_PROMPT } from '../../src/streaming/chat/chatSession';
import { ConversationStore } from '../../src/history/conversationStore';
import { createProvider } from '../../src/streaming/providers/createProvider';
import type { StreamEvent } from '../../src/streaming/providers/events';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { McpToolSupport } from '../../src/tools/mcp/mcpToolSupport';
import { everythingBin, memoryLogger, nodeServer } from '../fakes/mcpServers';
import { FakeOpenAI } from '../fakes/openaiServer';
import { GEMINI_SIGNATURE, geminiScript, replay, type ProviderFixture } from '../fakes/providerReplay';

const silent = { info() {}, warn() {}, error() {} };

describe('provider fixtures through the real openai client', { timeout: 60_000 }, () => {
  const server = new FakeOpenAI();
  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => server.reset());

  /** Every event the provider yields for one request answered with `fixture`. */
  async function events(fixture: ProviderFixture, model = 'm', system?: string): Promise<StreamEvent[]> {
    server.onChat = () => replay(fixture);
    const provider = createProvider({ name: 'P', type: 'openai', url: server.url }, 'sk-test');
    const out: StreamEvent[] = [];
    const messages = [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user' as const, content: 'Q' }];
    for await (const e of provider.chat({ model, messages }, new AbortController().signal)) out.push(e);
    return out;
  }
  const kinds = (es: StreamEvent[]) => es.map((e) => e.type);

  it('OpenRouter: comment lines between chunks pass, reasoning from delta.reasoning streams as thinking', async () => {
    const es = await events('openrouter-reasoning-comments');
    assert.deepEqual(kinds(es), ['thinking', 'thinking', 'text', 'text', 'usage', 'done']);
    assert.equal(
      es
        .filter((e) => e.type === 'thinking')
        .map((e) => (e as { text: string }).text)
        .join(''),
      'The user asks for the capital of France. That is Paris.',
    );
    assert.deepEqual(es.at(-2), { type: 'usage', usage: { promptTokens: 12, completionTokens: 31 } });
    assert.deepEqual(es.at(-1), { type: 'done', reason: 'stop' });
  });

  it('OpenRouter: a mid-stream error chunk ends the answer with the server’s own message, after the text', async () => {
    const es = await events('openrouter-midstream-error');
    assert.deepEqual(kinds(es), ['text', 'text', 'error']);
    const error = (es[2] as Extract<StreamEvent, { type: 'error' }>).error;
    assert.equal(error.kind, 'server');
    assert.match(error.message, /Provider disconnected unexpectedly/);
  });

  it('Perplexity: citations with their search_results titles become one sources event, in citation order', async () => {
    const es = await events('perplexity-citations');
    assert.deepEqual(kinds(es), ['sources', 'text', 'text', 'usage', 'done']);
    assert.deepEqual((es[0] as Extract<StreamEvent, { type: 'sources' }>).sources, [
      { url: 'https://en.wikipedia.org/wiki/Mount_Everest', title: 'Mount Everest - Wikipedia' },
      {
        url: 'https://www.britannica.com/place/Mount-Everest',
        title: 'Mount Everest | Height, Location, Map, Facts, Climbers, & Deaths | Britannica',
      },
    ]);
  });

  it('Gemini: a call without index, finished with "stop", is a tool call with its extra_content kept', async () => {
    const es = await events('gemini-tool-call');
    assert.deepEqual(kinds(es), ['toolCall', 'usage', 'done']);
    assert.deepEqual(es[0], {
      type: 'toolCall',
      call: {
        id: 'jm4owj31',
        name: 'echo',
        arguments: { message: 'hello from gemini' },
        extra: { extra_content: { google: { thought_signature: GEMINI_SIGNATURE } } },
      },
    });
    assert.deepEqual(es.at(-1), { type: 'done', reason: 'toolCalls' });
  });

  it('DeepSeek: reasoning_content streams as thinking, null content is skipped', async () => {
    const es = await events('deepseek-reasoning-content');
    assert.deepEqual(kinds(es), ['thinking', 'thinking', 'text', 'usage', 'done']);
    assert.deepEqual(es[2], { type: 'text', text: '9.8 is greater than 9.11.' });
  });

  it('finish_reason "length" ends with reason length, not stop', async () => {
    const es = await events('length');
    assert.deepEqual(es.at(-1), { type: 'done', reason: 'length' });
  });

  it('OpenAI reasoning models: usage from the choices:[] chunk, instructions sent as developer, include_usage asked for', async () => {
    const es = await events('openai-reasoning-usage', 'o4-mini', 'Be brief.');
    assert.deepEqual(kinds(es), ['text', 'text', 'usage', 'done']);
    // 192 of the 205 are reasoning o4-mini never streams: kept apart so tokens/s is the streamed speed.
    assert.deepEqual(es[2], {
      type: 'usage',
      usage: { promptTokens: 24, completionTokens: 205, reasoningTokens: 192, hiddenReasoning: true },
    });
    const body = server.chatRequests[0].body;
    assert.deepEqual(body.messages[0], { role: 'developer', content: 'Be brief.' });
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.max_tokens, undefined, 'no max_tokens, which reasoning models refuse');
    // Other models keep the system role.
    await events('length', 'gpt-4.1', 'Be brief.');
    assert.equal(server.chatRequests[1].body.messages[0].role, 'system');
  });
});

describe('provider fixtures through the chat session: rendered, stored, restored, sent back', { timeout: 60_000 }, () => {
  const server = new FakeOpenAI();
  const dir = mkdtempSync(join(tmpdir(), 'model-chat-fixtures-'));
  let connections: McpConnections;
  let posted: HostToWebview[];
  let store: ConversationStore;
  before(async () => {
    await server.start();
    connections = new McpConnections([nodeServer('everything', everythingBin())], { logger: memoryLogger() });
  });
  after(async () => {
    await connections.dispose();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.reset();
    posted = [];
  });
  const session = (model = 'm', withStore = store) =>
    new ChatSession({
      config: () => ({ endpoint: { name: 'Compat', type: 'openai', url: server.url }, model, maxUpdatesPerSecond: 20 }),
      providerFor: (e) => createProvider(e, 'sk-test'),
      post: (m) => posted.push(typeof m === 'string' ? m : structuredClone(m)),
      log: silent,
      persist: withStore,
      tools: new McpToolSupport(connections, {
        approval: () => 'always',
        timeoutMs: () => 20_000,
        alwaysAllowed: () => new Set(),
        rememberAlwaysAllowed: () => {},
      }),
    });
  /** The conversation as a freshly opened window reads it from disk. */
  async function reloaded(s: ChatSession): Promise<MessageSnapshot[]> {
    await store.idle();
    const { conversation } = await new ConversationStore({ dir: join(dir, 'store') }).load(s.id);
    const again = session();
    assert.ok(again.restore(conversation!));
    return again.snapshot().messages;
  }
  const answers = (s: ChatSession) => s.snapshot().messages.filter((m) => m.role === 'assistant');
  beforeEach(() => (store = new ConversationStore({ dir: join(dir, 'store') })));

  it('OpenRouter mid-stream error: the partial answer stays, the server’s message shows, Retry answers again', async () => {
    server.onChat = (_body, i) => replay(i === 0 ? 'openrouter-midstream-error' : 'openrouter-reasoning-comments');
    const s = session();
    s.send('Explain the borrow checker');
    await s.idle();
    const [answer] = answers(s);
    assert.equal(answer.state, 'error');
    assert.equal(answer.text, "Rust's borrow checker enforces that every value has one owner");
    assert.match(answer.error!.message, /Provider disconnected unexpectedly/);
    assert.ok(answer.error!.actions.some((a) => a.kind === 'retry'));
    const end = posted.find((m) => typeof m !== 'string' && m.type === 'delta' && m.end) as Extract<HostToWebview, { type: 'delta' }>;
    assert.equal(end.end!.state, 'error', 'the page is told how the answer ended');
    assert.ok(s.retry(answer.id));
    await s.idle();
    const retried = answers(s);
    assert.equal(retried.length, 1);
    assert.equal(retried[0].state, 'done');
    assert.equal(retried[0].text, 'The capital of France is **Paris**.');
    assert.equal(retried[0].thinking, 'The user asks for the capital of France. That is Paris.');
  });

  it('Perplexity: sources are posted to the page, kept with the answer on disk, and appended on Copy', async () => {
    server.onChat = () => replay('perplexity-citations');
    const s = session();
    s.send('How tall is Everest?');
    await s.idle();
    const [answer] = answers(s);
    const post = posted.find((m) => typeof m !== 'string' && m.type === 'sources') as Extract<HostToWebview, { type: 'sources' }>;
    assert.equal(post.id, answer.id);
    assert.equal(post.sources.length, 2);
    assert.equal(answer.sources?.[1].url, 'https://www.britannica.com/place/Mount-Everest');
    const copied = s.messageText(answer.id)!;
    assert.ok(copied.startsWith('Mount Everest is 8,849 m tall[1]. It lies on the border of Nepal and China[2].'));
    assert.match(copied, /Sources:\n\n1\. \[Mount Everest - Wikipedia\]\(<https:\/\/en\.wikipedia\.org\/wiki\/Mount_Everest>\)\n2\. /);
    const restored = (await reloaded(s)).find((m) => m.role === 'assistant')!;
    assert.deepEqual(restored.sources, answer.sources);
  });

  it('length: the answer ends done but marked cut, survives a reload so, and Continue asks again with the cut answer', async () => {
    server.onChat = (_body, i) => replay(i === 0 ? 'length' : 'openai-reasoning-usage');
    const s = session('gpt-4.1');
    s.send('How do I set it up?');
    await s.idle();
    const [answer] = answers(s);
    assert.equal(answer.state, 'done');
    assert.equal(answer.cut, 'length');
    const end = posted.find((m) => typeof m !== 'string' && m.type === 'delta' && m.end) as Extract<HostToWebview, { type: 'delta' }>;
    assert.equal(end.end!.cut, 'length', 'the page is told, with the end');
    assert.equal((await reloaded(s)).find((m) => m.role === 'assistant')!.cut, 'length');
    assert.ok(s.continue(answer.id));
    await s.idle();
    const body = server.chatRequests[1].body;
    assert.deepEqual(
      body.messages.slice(-2).map((m: { role: string; content: string }) => [m.role, m.content]),
      [
        ['assistant', 'Here are the steps:\n\n1. Install the package\n2. Configure'],
        ['user', CONTINUE_PROMPT],
      ],
    );
    assert.equal(answers(s)[1].cut, undefined);
    assert.equal(s.continue(answers(s)[1].id), false, 'Continue is only for an answer that was cut');
  });

  it('Gemini: the tool runs, the next round carries the thought_signature back, and so does a later turn after a reload', async () => {
    server.onChat = (body) => geminiScript(body);
    const s = session('gemini-2.5-flash');
    s.send('Echo hello');
    await s.idle();
    const card = s.snapshot().messages.find((m) => m.role === 'tool')!;
    assert.equal(card.tool!.name, 'echo');
    assert.equal(card.tool!.state, 'done');
    assert.match(card.tool!.result!.text, /hello from gemini/);
    const round2 = server.chatRequests[1].body.messages.find((m: any) => m.role === 'assistant');
    assert.equal(round2.tool_calls[0].extra_content.google.thought_signature, GEMINI_SIGNATURE);
    assert.equal(answers(s).at(-1)!.text, 'The echo tool said: hello from gemini.');
    assert.equal(answers(s).at(-1)!.state, 'done', 'the fake refuses a follow-up without the signature');

    // A reloaded window's next question sends the earlier call back with its signature too.
    await store.idle();
    const { conversation } = await new ConversationStore({ dir: join(dir, 'store') }).load(s.id);
    const again = session('gemini-2.5-flash');
    assert.ok(again.restore(conversation!));
    again.send('And again?');
    await again.idle();
    const later = server.chatRequests.at(-1)!.body.messages.find((m: any) => m.role === 'assistant' && m.tool_calls);
    assert.equal(later?.tool_calls[0].extra_content.google.thought_signature, GEMINI_SIGNATURE);
    assert.equal(answers(again).at(-1)!.state, 'done');
  });

  it('Gemini without the signature: its 400 (a JSON array) shows Gemini’s own message', async () => {
    server.onChat = () => ({
      status: 400,
      errorBody: JSON.stringify([
        { error: { code: 400, message: 'Function call is missing a thought_signature', status: 'INVALID_ARGUMENT' } },
      ]),
    });
    const s = session('gemini-2.5-flash');
    s.send('Echo hello');
    await s.idle();
    assert.match(answers(s)[0].error!.message, /answered HTTP 400: Function call is missing a thought_signature$/);
  });
});
