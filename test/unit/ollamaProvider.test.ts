import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { StreamEvent } from '../../src/streaming/providers/events';
import { OllamaProvider } from '../../src/streaming/providers/ollama/ollamaProvider';
import { ProviderFailure } from '../../src/streaming/providers/provider';
import { answerLines, FakeOllama, splitWrites } from '../fakes/ollamaServer';
import { closedPort } from '../fakes/ports';

const messages = [{ role: 'user' as const, content: 'Say hello' }];

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const e of stream) events.push(e);
  return events;
}
const textOf = (events: StreamEvent[]) => events.map((e) => (e.type === 'text' ? e.text : '')).join('');

describe('OllamaProvider with the real ollama client', () => {
  const server = new FakeOllama();
  let provider: OllamaProvider;
  before(async () => {
    await server.start();
    provider = new OllamaProvider(server.url);
  });
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.closed.length = 0;
  });

  it('streams text, then usage and done, and sends a streaming /api/chat request', async () => {
    const events = await collect(provider.chat({ model: 'test-model:latest', messages }, new AbortController().signal));
    assert.equal(textOf(events), 'Hello, world!');
    const usage = events.find((e) => e.type === 'usage');
    assert.deepEqual(usage, {
      type: 'usage',
      // prompt_eval_count leaves out the cached prefix: the usage says so (no truncation alarm from a small count).
      usage: { promptTokens: 26, completionTokens: 4, loadDurationNs: 1_000_000, evalDurationNs: 500_000_000, promptEvaluatedOnly: true },
    });
    assert.deepEqual(events.at(-1), { type: 'done', reason: 'stop' });
    const body = server.chatRequests[0].body;
    assert.equal(body.model, 'test-model:latest');
    assert.equal(body.stream, true);
    assert.deepEqual(body.messages, messages);
  });

  for (const perWrite of [1, 7, 33]) {
    it(`reassembles lines split across writes of ${perWrite} bytes, multi-byte characters included`, async () => {
      const tokens = ['Grüße ', '🚀', ' — ', '日本語', ' done'];
      server.onChat = (body) => ({ steps: splitWrites(answerLines(body.model, tokens), perWrite) });
      const events = await collect(provider.chat({ model: 'm', messages }, new AbortController().signal));
      assert.equal(textOf(events), tokens.join(''));
      assert.deepEqual(events.at(-1), { type: 'done', reason: 'stop' });
    });
  }

  it('reports thinking separately from the answer', async () => {
    server.onChat = (body) => ({ steps: answerLines(body.model, ['42'], { thinking: ['Let me ', 'think.'] }) });
    const events = await collect(provider.chat({ model: 'm', messages }, new AbortController().signal));
    assert.equal(
      events
        .filter((e) => e.type === 'thinking')
        .map((e) => (e as { text: string }).text)
        .join(''),
      'Let me think.',
    );
    assert.equal(textOf(events), '42');
  });

  it('asks a model that can think to think (think: true), and only such a model', async () => {
    server.capabilities.set('reasoner', ['completion', 'thinking']);
    await collect(provider.chat({ model: 'reasoner', messages }, new AbortController().signal));
    await collect(provider.chat({ model: 'plain', messages }, new AbortController().signal));
    const [reasoner, plain] = server.chatRequests.slice(-2).map((r) => r.body as Record<string, unknown>);
    assert.equal(reasoner.think, true);
    assert.equal('think' in plain, false);
  });

  it('reports whole tool calls and ends with reason toolCalls although Ollama says "stop"', async () => {
    const toolCalls = [{ function: { name: 'get_weather', arguments: { city: 'Tokyo' } } }];
    server.onChat = (body) => ({ steps: answerLines(body.model, [], { toolCalls }) });
    const events = await collect(provider.chat({ model: 'm', messages }, new AbortController().signal));
    assert.deepEqual(
      events.find((e) => e.type === 'toolCall'),
      { type: 'toolCall', call: { name: 'get_weather', arguments: { city: 'Tokyo' } } },
    );
    assert.deepEqual(events.at(-1), { type: 'done', reason: 'toolCalls' });
  });

  it('turns an {"error": …} line mid-stream into an error event after the partial text', async () => {
    server.onChat = (body) => ({
      steps: [
        ...answerLines(body.model, ['Part', 'ial']).slice(0, 2),
        '{"error":"an error was encountered while running the model: CUDA out of memory"}\n',
      ],
    });
    const events = await collect(provider.chat({ model: 'm', messages }, new AbortController().signal));
    assert.equal(textOf(events), 'Partial');
    const last = events.at(-1);
    assert.equal(last?.type, 'error');
    assert.equal(last?.type === 'error' && last.error.kind, 'server');
    assert.match(last?.type === 'error' ? last.error.message : '', /CUDA out of memory/);
  });

  it('says a 404 model is not installed and names the ollama pull command', async () => {
    server.onChat = (body) => ({ status: 404, error: `model '${body.model}' not found` });
    const events = await collect(provider.chat({ model: 'qwen3:4b', messages }, new AbortController().signal));
    assert.equal(events.length, 1);
    const e = events[0];
    assert.ok(e.type === 'error');
    assert.equal(e.error.kind, 'modelNotFound');
    assert.equal(e.error.model, 'qwen3:4b');
    assert.match(e.error.message, /`ollama pull qwen3:4b`/);
  });

  it('says Ollama is not running at the URL when the connection is refused', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const events = await collect(new OllamaProvider(url).chat({ model: 'm', messages }, new AbortController().signal));
    assert.ok(events[0].type === 'error');
    assert.equal(events[0].error.kind, 'unreachable');
    assert.match(events[0].error.message, new RegExp(`Ollama is not running at ${url.replace(/\./g, '\\.')}`));
    assert.match(events[0].error.message, /ollama serve/);
    await assert.rejects(
      new OllamaProvider(url).listModels(),
      (err: unknown) => err instanceof ProviderFailure && err.error.kind === 'unreachable',
    );
  });

  it('reports a stream that ends without a done line as a dropped connection', async () => {
    server.onChat = (body) => ({ steps: answerLines(body.model, ['cut ', 'off']).slice(0, 2) });
    const events = await collect(provider.chat({ model: 'm', messages }, new AbortController().signal));
    assert.equal(textOf(events), 'cut off');
    assert.ok(events.at(-1)?.type === 'error');
    assert.equal((events.at(-1) as { error: { kind: string } }).error.kind, 'dropped');
  });

  it('Stop mid-stream closes the connection the server holds', async () => {
    server.onChat = (body) => ({ steps: [...answerLines(body.model, ['one ', 'two ']).slice(0, 2)], hang: true });
    const controller = new AbortController();
    const events: StreamEvent[] = [];
    for await (const e of provider.chat({ model: 'm', messages }, controller.signal)) {
      events.push(e);
      if (textOf(events) === 'one two ') controller.abort();
    }
    assert.deepEqual(events.at(-1), { type: 'done', reason: 'aborted' });
    await server.until(() => server.closed.length > 0, 2000);
    assert.equal(server.closed[0].path, '/api/chat');
    assert.equal(server.closed[0].headersSent, true);
  });

  it('Stop while the server still holds back headers (a cold model load) closes the connection too', async () => {
    server.onChat = () => ({ holdHeadersMs: 30_000 });
    const controller = new AbortController();
    const run = collect(provider.chat({ model: 'm', messages }, controller.signal));
    await server.until(() => server.chatRequests.length === 1);
    const stoppedAt = performance.now();
    controller.abort();
    const events = await run;
    assert.deepEqual(events, [{ type: 'done', reason: 'aborted' }]);
    await server.until(() => server.closed.length > 0, 2000);
    assert.equal(server.closed[0].headersSent, false, 'closed before any header was sent');
    assert.ok(server.closed[0].at - stoppedAt < 1000, 'the server saw the close promptly');
  });

  it('sends num_ctx and keep_alive on every request when set, and neither when not', async () => {
    server.onChat = (body) => ({ steps: answerLines(body.model, ['ok']) });
    await collect(
      new OllamaProvider(server.url, { numCtx: 16384, keepAlive: '10m' }).chat({ model: 'm', messages }, new AbortController().signal),
    );
    await collect(provider.chat({ model: 'm', messages }, new AbortController().signal));
    const [withOptions, without] = server.chatRequests.slice(-2).map((r) => r.body);
    assert.deepEqual(withOptions.options, { num_ctx: 16384 });
    assert.equal(withOptions.keep_alive, '10m');
    assert.equal(without.options, undefined);
    assert.equal(without.keep_alive, undefined);
  });

  it('lists models with parameter size and quantization', async () => {
    server.models = [{ name: 'llama3.2:latest', parameter_size: '3.2B', quantization_level: 'Q4_K_M' }, { name: 'bare:latest' }];
    assert.deepEqual(await provider.listModels(), [
      { name: 'llama3.2:latest', detail: '3.2B · Q4_K_M' },
      { name: 'bare:latest', detail: undefined },
    ]);
  });
});
