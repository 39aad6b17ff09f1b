import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ProviderError, StreamEvent } from '../../src/streaming/providers/events';
import { OpenAIProvider } from '../../src/streaming/providers/openai/openaiProvider';
import { ProviderFailure } from '../../src/streaming/providers/provider';
import { answerLines, DONE, FakeOpenAI, finishLine, roleLine, splitWrites, textLine, toolCallLine, usageLine } from '../fakes/openaiServer';
import { closedPort } from '../fakes/ports';

const messages = [{ role: 'user' as const, content: 'Say hello' }];
const KEY = 'sk-test-SECRET-0123456789abcdef';

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const e of stream) events.push(e);
  return events;
}
const textOf = (events: StreamEvent[]) => events.map((e) => (e.type === 'text' ? e.text : '')).join('');
const thinkingOf = (events: StreamEvent[]) => events.map((e) => (e.type === 'thinking' ? e.text : '')).join('');
const toolCallsOf = (events: StreamEvent[]) => events.flatMap((e) => (e.type === 'toolCall' ? [e.call] : []));
function onlyError(events: StreamEvent[]): ProviderError {
  assert.equal(events.length, 1, `one event, got ${JSON.stringify(events)}`);
  assert.ok(events[0].type === 'error');
  return events[0].error;
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('OpenAIProvider with the real openai client', () => {
  const server = new FakeOpenAI();
  let provider: OpenAIProvider;
  const chat = (p: OpenAIProvider = provider, model = 'm', signal = new AbortController().signal) =>
    collect(p.chat({ model, messages }, signal));
  before(async () => {
    await server.start();
    provider = new OpenAIProvider(server.url, KEY);
  });
  after(() => server.stop());
  beforeEach(() => {
    server.reset();
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Hello', ', ', 'world', '!']) });
    server.onModels = () => undefined;
  });

  it('streams text, then usage and done, over a streaming request with include_usage and the key as a Bearer header', async () => {
    const events = await chat();
    assert.equal(textOf(events), 'Hello, world!');
    assert.deepEqual(events.slice(-2), [
      { type: 'usage', usage: { promptTokens: 26, completionTokens: 4 } },
      { type: 'done', reason: 'stop' },
    ]);
    const [request] = server.chatRequests;
    assert.equal(request.method, 'POST');
    assert.equal(request.authorization, `Bearer ${KEY}`);
    assert.deepEqual(request.body, { model: 'm', messages, stream: true, stream_options: { include_usage: true } });
  });

  it('sends no Authorization header without a key, and no organization or project from the environment', async () => {
    process.env.OPENAI_ORG_ID = 'org-from-env';
    process.env.OPENAI_PROJECT_ID = 'proj-from-env';
    try {
      const events = await chat(new OpenAIProvider(server.url));
      assert.equal(textOf(events), 'Hello, world!');
    } finally {
      delete process.env.OPENAI_ORG_ID;
      delete process.env.OPENAI_PROJECT_ID;
    }
    const { headers } = server.chatRequests[0];
    assert.equal(headers.authorization, undefined);
    assert.equal(headers['openai-organization'], undefined);
    assert.equal(headers['openai-project'], undefined);
  });

  for (const perWrite of [1, 7]) {
    it(`reassembles SSE events split across writes of ${perWrite} bytes, multi-byte characters included`, async () => {
      const tokens = ['Grüße ', '🚀', ' — ', '日本語', ' done'];
      server.onChat = (body) => ({ steps: splitWrites(answerLines(body.model, tokens), perWrite) });
      const events = await chat();
      assert.equal(textOf(events), tokens.join(''));
      assert.deepEqual(events.at(-1), { type: 'done', reason: 'stop' });
    });
  }

  it('ends normally when `data: [DONE]` itself is split across writes', async () => {
    server.onChat = (body) => ({
      steps: [...answerLines(body.model, ['a', 'b']).slice(0, -1), 'data: [DO', { delayMs: 20 }, 'NE]\n', { delayMs: 20 }, '\n'],
    });
    const events = await chat();
    assert.equal(textOf(events), 'ab');
    assert.deepEqual(events.at(-1), { type: 'done', reason: 'stop' });
  });

  for (const field of ['reasoning', 'reasoning_content'] as const) {
    it(`reports reasoning sent as delta.${field} separately from the answer`, async () => {
      server.onChat = (body) => ({ steps: answerLines(body.model, ['42'], { reasoning: ['Let me ', 'think.'], reasoningField: field }) });
      const events = await chat();
      assert.equal(thinkingOf(events), 'Let me think.');
      assert.equal(textOf(events), '42');
      assert.ok(events.findIndex((e) => e.type === 'thinking') < events.findIndex((e) => e.type === 'text'));
    });
  }

  it('joins OpenAI-style parallel tool-call fragments by index and ends with reason toolCalls', async () => {
    server.onChat = ({ model }) => ({
      steps: [
        roleLine(model),
        toolCallLine(model, [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }]),
        toolCallLine(model, [{ index: 0, function: { arguments: '{"ci' } }]),
        toolCallLine(model, [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } }]),
        toolCallLine(model, [{ index: 0, function: { arguments: 'ty": "Tō' } }]),
        toolCallLine(model, [{ index: 1, function: { arguments: '{"tz":"Asia/Tokyo"}' } }]),
        toolCallLine(model, [{ index: 0, function: { arguments: 'kyō"}' } }]),
        finishLine(model, 'tool_calls'),
        usageLine(model, 40, 12),
        DONE,
      ],
    });
    const events = await chat();
    assert.deepEqual(toolCallsOf(events), [
      { id: 'call_a', name: 'get_weather', arguments: { city: 'Tōkyō' } },
      { id: 'call_b', name: 'get_time', arguments: { tz: 'Asia/Tokyo' } },
    ]);
    assert.deepEqual(events.slice(-2), [
      { type: 'usage', usage: { promptTokens: 40, completionTokens: 12 } },
      { type: 'done', reason: 'toolCalls' },
    ]);
  });

  it('copes with compatible servers: no index, no type, the id repeated on every delta, arguments in pieces', async () => {
    server.onChat = ({ model }) => ({
      steps: [
        roleLine(model),
        toolCallLine(model, [{ id: 'call_1', function: { name: 'search', arguments: '{"q"' } }]),
        toolCallLine(model, [{ id: 'call_1', function: { arguments: ': "sse ' } }]),
        toolCallLine(model, [{ id: 'call_1', function: { arguments: 'framing"' } }]),
        toolCallLine(model, [{ id: 'call_1', function: { arguments: ', "n": 3}' } }]),
        finishLine(model, 'tool_calls'),
        DONE,
      ],
    });
    const events = await chat();
    assert.deepEqual(toolCallsOf(events), [{ id: 'call_1', name: 'search', arguments: { q: 'sse framing', n: 3 } }]);
    assert.deepEqual(events.at(-1), { type: 'done', reason: 'toolCalls' });
  });

  it('tells calls apart without index or id by their position, and whole calls one per delta by their id', async () => {
    server.onChat = ({ model }) => ({
      steps: [
        // Two calls in one delta, then their arguments by position, no ids at all.
        toolCallLine(model, [{ function: { name: 'a', arguments: '{"x":' } }, { function: { name: 'b', arguments: '{"y":' } }]),
        toolCallLine(model, [{ function: { arguments: '1}' } }, { function: { arguments: '2}' } }]),
        // Then whole calls, each alone at position 0 with its own id (Gemini-style).
        toolCallLine(model, [{ id: 'call_c', type: 'function', function: { name: 'c', arguments: '{"z":3}' } }]),
        toolCallLine(model, [{ id: 'call_d', type: 'function', function: { name: 'd', arguments: '{}' } }]),
        // A server that says "stop" although it called tools.
        finishLine(model, 'stop'),
        DONE,
      ],
    });
    const events = await chat();
    assert.deepEqual(toolCallsOf(events), [
      { name: 'a', arguments: { x: 1 } },
      { name: 'b', arguments: { y: 2 } },
      { id: 'call_c', name: 'c', arguments: { z: 3 } },
      { id: 'call_d', name: 'd', arguments: {} },
    ]);
    assert.deepEqual(events.at(-1), { type: 'done', reason: 'toolCalls' });
  });

  it('keeps arguments that are not valid JSON as the raw string', async () => {
    server.onChat = ({ model }) => ({
      steps: [
        toolCallLine(model, [{ index: 0, id: 'c1', function: { name: 'f', arguments: '{"a": 1,' } }]),
        finishLine(model, 'tool_calls'),
        DONE,
      ],
    });
    assert.deepEqual(toolCallsOf(await chat()), [{ id: 'c1', name: 'f', arguments: '{"a": 1,' }]);
  });

  it('takes usage from the final chunk that has choices: [] and reports finish_reason length', async () => {
    server.onChat = ({ model }) => ({
      steps: [roleLine(model), textLine(model, 'trunc'), finishLine(model, 'length'), usageLine(model, 7, 1), DONE],
    });
    const events = await chat();
    assert.deepEqual(events, [
      { type: 'text', text: 'trunc' },
      { type: 'usage', usage: { promptTokens: 7, completionTokens: 1 } },
      { type: 'done', reason: 'length' },
    ]);
  });

  it('says a 401 needs the Set API key command, names the endpoint, and never shows the key', async () => {
    server.onChat = () => ({
      status: 401,
      errorCode: 'invalid_api_key',
      error: `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    });
    const error = onlyError(await chat());
    assert.equal(error.kind, 'auth');
    assert.match(error.message, new RegExp(escape(server.url)));
    assert.match(error.message, /"Model Chat: Set API key"/);
    assert.ok(!JSON.stringify(error).includes(KEY), 'the key appears nowhere in the error, log detail included');
    assert.ok(!JSON.stringify(error).includes('SECRET'), 'not even part of it');
    server.onModels = () => ({ status: 401, error: `Incorrect API key provided: ${KEY}.` });
    await assert.rejects(
      provider.listModels(),
      (err: unknown) => err instanceof ProviderFailure && err.error.kind === 'auth' && !err.message.includes(KEY),
    );
  });

  it('says a 403 is an access problem with the key', async () => {
    server.onChat = () => ({ status: 403, error: 'Project does not have access to model m' });
    const error = onlyError(await chat());
    assert.equal(error.kind, 'auth');
    assert.match(error.message, /Set API key/);
  });

  it('says a 404 about the model is modelNotFound, and a 404 for the path points at the URL', async () => {
    server.onChat = (body) => ({
      status: 404,
      errorCode: 'model_not_found',
      error: `The model \`${body.model}\` does not exist or you do not have access to it.`,
    });
    const error = onlyError(await chat(provider, 'gpt-9'));
    assert.equal(error.kind, 'modelNotFound');
    assert.equal(error.model, 'gpt-9');
    assert.match(error.message, /'gpt-9' is not available/);

    // A base URL without /v1: the fake answers 404 for the unknown path, as llama.cpp and vLLM do.
    const noV1 = new OpenAIProvider(server.url.replace(/\/v1$/, ''), KEY);
    const wrongPath = onlyError(await chat(noV1));
    assert.equal(wrongPath.kind, 'server');
    assert.match(wrongPath.message, /HTTP 404.*\/v1/);
  });

  it('says a 429 is rate limiting, with the retry-after the server gave', async () => {
    server.onChat = () => ({
      status: 429,
      errorType: 'requests',
      errorCode: 'rate_limit_exceeded',
      error: 'Rate limit reached for requests.',
      headers: { 'retry-after': '20' },
    });
    const error = onlyError(await chat());
    assert.equal(error.kind, 'server');
    assert.match(error.message, /rate-limiting.*HTTP 429.*try again in 20 s/);
    assert.equal(server.chatRequests.length, 1, 'the SDK did not retry on its own');
  });

  it("reports other HTTP errors as server errors with the server's message", async () => {
    server.onChat = () => ({ status: 500, errorType: 'server_error', error: 'CUDA out of memory' });
    const error = onlyError(await chat());
    assert.equal(error.kind, 'server');
    assert.match(error.message, /HTTP 500: CUDA out of memory/);
  });

  it('says no server answers at the URL when the connection is refused', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const error = onlyError(await chat(new OpenAIProvider(url, KEY)));
    assert.equal(error.kind, 'unreachable');
    assert.match(error.message, new RegExp(`^No OpenAI-compatible server answers at ${escape(url)}`));
    assert.match(error.detail ?? '', /ECONNREFUSED/);
    await assert.rejects(
      new OpenAIProvider(url).listModels(),
      (err: unknown) => err instanceof ProviderFailure && err.error.kind === 'unreachable',
    );
  });

  it('turns an error event in the middle of the stream into an error after the partial text', async () => {
    server.onChat = ({ model }) => ({
      steps: [
        roleLine(model),
        textLine(model, 'Part'),
        `data: ${JSON.stringify({ error: { message: 'model crashed', type: 'server_error' } })}\n\n`,
      ],
    });
    const events = await chat();
    assert.equal(textOf(events), 'Part');
    const last = events.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.kind, 'server');
    assert.match(last.error.message, /model crashed/);
  });

  it('reports a connection cut mid-answer, or a body that ends without finishing, as dropped', async () => {
    // The delay lets the text reach the client before the cut.
    server.onChat = ({ model }) => ({ steps: [roleLine(model), textLine(model, 'cut '), { delayMs: 20 }], destroy: true });
    const cut = await chat();
    assert.equal(textOf(cut), 'cut ');
    assert.ok(cut.at(-1)?.type === 'error');
    assert.equal((cut.at(-1) as { error: ProviderError }).error.kind, 'dropped');

    server.onChat = ({ model }) => ({ steps: [roleLine(model), textLine(model, 'short')] });
    const ended = await chat();
    assert.equal(textOf(ended), 'short');
    assert.equal((ended.at(-1) as { error?: ProviderError }).error?.kind, 'dropped');
  });

  it('reports a stream that is not SSE JSON as a protocol error', async () => {
    server.onChat = () => ({ steps: ['data: {not json}\n\n'] });
    assert.equal(onlyError(await chat()).kind, 'protocol');
  });

  it('Stop mid-stream closes the connection the server holds and ends with done aborted', async () => {
    server.onChat = ({ model }) => ({ steps: [roleLine(model), textLine(model, 'one '), textLine(model, 'two ')], hang: true });
    const controller = new AbortController();
    const events: StreamEvent[] = [];
    for await (const e of provider.chat({ model: 'm', messages }, controller.signal)) {
      events.push(e);
      if (textOf(events) === 'one two ') controller.abort();
    }
    assert.deepEqual(events, [
      { type: 'text', text: 'one ' },
      { type: 'text', text: 'two ' },
      { type: 'done', reason: 'aborted' },
    ]);
    await server.until(() => server.closed.length > 0, 2000);
    assert.equal(server.closed[0].path, '/v1/chat/completions');
    assert.equal(server.closed[0].headersSent, true);
  });

  it('Stop while the server still holds back headers closes the connection too', async () => {
    server.onChat = () => ({ holdHeadersMs: 30_000 });
    const controller = new AbortController();
    const run = chat(provider, 'm', controller.signal);
    await server.until(() => server.chatRequests.length === 1);
    const stoppedAt = performance.now();
    controller.abort();
    assert.deepEqual(await run, [{ type: 'done', reason: 'aborted' }]);
    await server.until(() => server.closed.length > 0, 2000);
    assert.equal(server.closed[0].headersSent, false, 'closed before any header was sent');
    assert.ok(server.closed[0].at - stoppedAt < 1000, 'the server saw the close promptly');
  });

  it('sends tools in the function shape', async () => {
    const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    await collect(
      provider.chat(
        { model: 'm', messages, tools: [{ name: 'get_weather', description: 'Weather now', inputSchema: parameters }] },
        new AbortController().signal,
      ),
    );
    assert.deepEqual(server.chatRequests[0].body.tools, [
      { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters } },
    ]);
  });

  it('lists models from GET /v1/models with the key', async () => {
    server.models = ['qwen3-8b', 'llama-3.2-3b-instruct'];
    assert.deepEqual(await provider.listModels(), [{ name: 'qwen3-8b' }, { name: 'llama-3.2-3b-instruct' }]);
    const [request] = server.requests;
    assert.equal(request.method, 'GET');
    assert.equal(request.path, '/v1/models');
    assert.equal(request.authorization, `Bearer ${KEY}`);
  });
});
