/**
 * Our OpenAI-compatible provider against a real llama.cpp llama-server (not a fake): streaming, Stop, usage, the
 * server's own error shapes and a tool-call round trip. The model is tiny and random, so its words are noise;
 * a server-side grammar keeps them to plain words where a test needs clean text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeDelta, type HostToWebview } from '../../src/shared/protocol';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import { createProvider } from '../../src/streaming/providers/createProvider';
import type { ProviderError, StreamEvent, ToolCall } from '../../src/streaming/providers/events';
import { OpenAIProvider } from '../../src/streaming/providers/openai/openaiProvider';
import type { ChatMessage, ChatProvider } from '../../src/streaming/providers/provider';
import type { ToolDescriptor } from '../../src/tools/toolSupport';
import { notInstalled, realServerAvailable, startLlamaServer, type LlamaServer } from './llamaServer';

const available = realServerAvailable(it);
const skip = available ? false : notInstalled();

const WORDS = ['--grammar', 'root ::= [a-zA-Z ,.]+'];
/** The server's own cap on an answer's tokens (-n): long enough to press Stop in the middle (about a second here). */
const MAX_TOKENS = 120;
const endpoint = (url: string) => ({ name: 'llama.cpp', type: 'openai' as const, url });
const ask = (text: string): ChatMessage[] => [{ role: 'user', content: text }];

async function collect(stream: AsyncIterable<StreamEvent>, onEvent?: (e: StreamEvent) => void): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const e of stream) {
    events.push(e);
    onEvent?.(e);
  }
  return events;
}
const textOf = (events: StreamEvent[]) => events.map((e) => (e.type === 'text' ? e.text : '')).join('');
const errorOf = (events: StreamEvent[]): ProviderError | undefined => events.flatMap((e) => (e.type === 'error' ? [e.error] : []))[0];
const usageOf = (events: StreamEvent[]) => events.flatMap((e) => (e.type === 'usage' ? [e.usage] : []))[0];
/** The log lines a server wrote after `from` (an earlier length of its log). */
const logSince = (server: LlamaServer, from: number) => server.log().slice(from);

describe('OpenAIProvider against a real llama-server', { skip }, () => {
  let words: LlamaServer; // grammar-constrained plain words, up to MAX_TOKENS an answer
  before(async () => {
    words = await startLlamaServer({ args: [...WORDS, '-n', String(MAX_TOKENS)] });
  });
  after(() => words?.stop());

  it('streams text token by token, then usage matching what the server counted, then done with its finish reason', async () => {
    const provider = createProvider(endpoint(words.url));
    const from = words.log().length;
    const events = await collect(provider.chat({ model: 'tiny', messages: ask('Say something.') }, new AbortController().signal));
    assert.equal(errorOf(events), undefined);
    const texts = events.filter((e) => e.type === 'text');
    assert.ok(texts.length > 10, `streamed in many pieces, got ${texts.length}`);
    assert.match(textOf(events), /^[a-zA-Z ,.]+$/);
    // The server's own count, from its log: "prompt eval time = … / N tokens", "eval time = … / M tokens".
    const timings = await words.waitForLog(/prompt eval time =.*\/\s+(\d+) tokens[\s\S]*?\n.*? eval time =.*\/\s+(\d+) tokens/, from);
    const usage = usageOf(events);
    assert.deepEqual(usage, { promptTokens: Number(timings[1]), completionTokens: Number(timings[2]) });
    // A cut answer must say "length", one the model ended itself "stop".
    assert.deepEqual(events.at(-1), { type: 'done', reason: usage!.completionTokens === MAX_TOKENS ? 'length' : 'stop' });
    assert.equal(events.at(-2)?.type, 'usage');
  });

  it('Stop mid-answer closes the connection: the stream ends as aborted and the server cancels the task', async () => {
    const provider = createProvider(endpoint(words.url));
    const from = words.log().length;
    const stop = new AbortController();
    let texts = 0;
    const events = await collect(provider.chat({ model: 'tiny', messages: ask('Tell me a long story.') }, stop.signal), (e) => {
      if (e.type === 'text' && ++texts === 3) stop.abort();
    });
    assert.deepEqual(events.at(-1), { type: 'done', reason: 'aborted' });
    // The server notices the closed socket, cancels the generation and frees the slot before the answer's end.
    await words.waitForLog(/cancel task/, from);
    await words.waitForLog(/release: .*stop processing/, from);
    assert.doesNotMatch(logSince(words, from), new RegExp(`eval time =.*/\\s+${MAX_TOKENS} tokens`), 'the whole answer was not generated');
  });

  it('a prompt longer than the context: the server’s 400 exceed_context_size_error becomes a clear message', async () => {
    const provider = createProvider(endpoint(words.url));
    const long = 'lorem ipsum dolor sit amet '.repeat(600); // well over the 2048 tokens of one slot
    const events = await collect(provider.chat({ model: 'tiny', messages: ask(long) }, new AbortController().signal));
    assert.equal(events.length, 1, JSON.stringify(events));
    const error = errorOf(events)!;
    assert.equal(error.kind, 'server');
    assert.match(error.message, /HTTP 400/);
    assert.match(error.message, /exceeds the available context size/);
    assert.match(error.detail ?? '', /exceed_context_size_error|exceeds/);
  });

  it('a ChatSession streams the real answer to the page and ends it done, with the server’s token counts', async () => {
    type Posted = Exclude<HostToWebview, string>;
    const posted: Posted[] = [];
    const config: SessionConfig = { endpoint: endpoint(words.url), model: 'tiny', maxUpdatesPerSecond: 20 };
    const session = new ChatSession({
      config: () => config,
      providerFor: createProvider,
      post: (m) => posted.push(typeof m === 'string' ? { type: 'delta', id: '(streaming)', ...decodeDelta(m)! } : m),
      log: { info() {}, warn() {}, error() {} },
    });
    assert.equal(session.send('Hello there'), true);
    await session.idle();
    const deltas = posted.filter((m): m is Extract<HostToWebview, { type: 'delta' }> => m.type === 'delta');
    const text = deltas.map((d) => d.text).join('');
    assert.match(text, /^[a-zA-Z ,.]+$/);
    const end = deltas.at(-1)!.end!;
    assert.ok(end.state === 'done', JSON.stringify(end));
    assert.ok(end.metrics!.promptTokens! > 10 && end.metrics!.completionTokens! > 0, JSON.stringify(end.metrics));
  });
});

describe('OpenAIProvider against a real llama-server in router mode', { skip }, () => {
  let router: LlamaServer;
  before(async () => {
    router = await startLlamaServer({ router: true, args: [...WORDS, '-n', '16'] });
  });
  after(() => router?.stop());

  it('lists the models in its folder', async () => {
    const models = await createProvider(endpoint(router.url)).listModels();
    assert.deepEqual(
      models.map((m) => m.name),
      ['tiny'],
    );
  });

  it('an unknown model: the server’s 400 "model … not found" is modelNotFound with what to do', async () => {
    const provider = createProvider(endpoint(router.url));
    const events = await collect(provider.chat({ model: 'no-such-model', messages: ask('Hi') }, new AbortController().signal));
    assert.equal(events.length, 1, JSON.stringify(events));
    const error = errorOf(events)!;
    assert.equal(error.kind, 'modelNotFound', JSON.stringify(error));
    assert.equal(error.model, 'no-such-model');
    assert.match(error.message, /'no-such-model' is not available/);
    assert.match(error.message, /Select model/);
    assert.match(error.detail ?? '', /400 .*model 'no-such-model' not found/);
  });
});

describe('OpenAIProvider against a real llama-server without a grammar', { skip }, () => {
  let free: LlamaServer; // the model's raw output, which the server's own parser sometimes rejects
  before(async () => {
    free = await startLlamaServer({ args: ['-n', '300'] });
  });
  after(() => free?.stop());

  it('the server’s mid-stream 500 (output not in its peg-native format) is a server error after the partial answer', async () => {
    const provider = createProvider(endpoint(free.url));
    // Random weights: whether an answer trips the server's parser is chance (about half of 300-token answers).
    let events: StreamEvent[] = [];
    for (let attempt = 0; attempt < 12 && !errorOf(events); attempt++) {
      events = await collect(provider.chat({ model: 'tiny', messages: ask(`Attempt ${attempt}`) }, new AbortController().signal));
    }
    const error = errorOf(events);
    assert.ok(error, 'none of 12 answers tripped the server’s parser');
    assert.equal(error.kind, 'server');
    assert.match(error.message, /reported an error: The model produced output that does not match the expected peg-native format/);
    assert.ok(textOf(events).length > 0, 'text came before the error');
    assert.equal(events.at(-1)!.type, 'error');
  });

  it('a tool call round trip: the server’s grammar makes a call, we parse it, and it accepts our history back', async () => {
    const weather: ToolDescriptor = {
      name: 'get_weather',
      description: 'The weather in a city',
      inputSchema: {
        type: 'object',
        properties: { city: { type: 'string', enum: ['Paris', 'Tokyo'] } },
        required: ['city'],
        additionalProperties: false,
      },
    };
    const bodies: Record<string, unknown>[] = [];
    const statuses: number[] = [];
    // A random model never decides to call a tool by itself. For the first request only, we ask the server to
    // require one call and start the answer with the call's opening tag (llama-server continues a final
    // assistant message); its tool-call grammar then forces a valid call, streamed back in its own shape.
    const steer: typeof fetch = async (input, init) => {
      const body = JSON.parse(String(init!.body)) as Record<string, unknown> & { messages: unknown[] };
      bodies.push(structuredClone(body));
      if (bodies.length === 1) {
        // Greedy and seeded: a random model's sampling once wrote a second call despite parallel_tool_calls: false.
        Object.assign(body, { tool_choice: 'required', parallel_tool_calls: false, temperature: 0, seed: 1 });
        body.messages.push({ role: 'assistant', content: '<tool_call>\n' });
      } else {
        body.max_tokens = 16; // the follow-up's text is noise: only its acceptance matters
      }
      const res = await fetch(input, { ...init, body: JSON.stringify(body) });
      statuses.push(res.status);
      return res;
    };
    const provider: ChatProvider = new OpenAIProvider(free.url, undefined, { fetch: steer });
    const question = ask('What is the weather in Paris?');

    const first = await collect(provider.chat({ model: 'tiny', messages: question, tools: [weather] }, new AbortController().signal));
    assert.equal(errorOf(first), undefined, JSON.stringify(first));
    const calls = first.flatMap((e) => (e.type === 'toolCall' ? [e.call] : []));
    assert.equal(calls.length, 1, JSON.stringify(first));
    const call: ToolCall = calls[0];
    assert.equal(call.name, 'get_weather');
    assert.ok(call.arguments && typeof call.arguments === 'object', `arguments parsed: ${JSON.stringify(call.arguments)}`);
    assert.ok(['Paris', 'Tokyo'].includes((call.arguments as { city: string }).city), JSON.stringify(call.arguments));
    assert.ok(call.id && call.id.length > 8, 'the server’s call id is kept');
    assert.deepEqual(first.at(-1), { type: 'done', reason: 'toolCalls' });

    // The follow-up carries the call and its result in chat-completions shape; the server's template parser checks them.
    const result = 'Sunny, 21 degrees';
    const history: ChatMessage[] = [
      ...question,
      { role: 'assistant', content: '', toolCalls: [call] },
      { role: 'tool', content: result, toolName: call.name, toolCallId: call.id },
    ];
    const second = await collect(provider.chat({ model: 'tiny', messages: history, tools: [weather] }, new AbortController().signal));
    assert.deepEqual(statuses, [200, 200]);
    const sent = bodies[1].messages as Record<string, unknown>[];
    assert.deepEqual(sent[1], {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: call.id, type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(call.arguments) } }],
    });
    assert.deepEqual(sent[2], { role: 'tool', tool_call_id: call.id, content: result });
    // What the model saw: the server renders our messages through the model's template, call and result included.
    const { prompt } = (await free.post('/apply-template', { messages: sent, tools: bodies[1].tools })) as { prompt: string };
    const { city } = call.arguments as { city: string };
    assert.ok(prompt.includes(`<tool_call>\n{"name": "get_weather", "arguments": {"city": "${city}"}}\n</tool_call>`), prompt);
    assert.ok(prompt.includes(`<tool_response>\n${result}\n</tool_response>`), prompt);
    // The answer itself is noise from a random model: it streamed, and ended (or tripped the parser, as above).
    const end = second.at(-1)!;
    assert.ok(end.type === 'done' || (end.type === 'error' && /peg-native/.test(end.error.message)), JSON.stringify(end));
  });
});
