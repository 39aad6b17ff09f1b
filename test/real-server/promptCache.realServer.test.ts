/**
 * Against a real llama.cpp llama-server: the context the server runs with (/props), its tokenizer
 * (/tokenize), and that our second turn reuses the first's prompt from the server's KV cache (issue #17,
 * points 1, 2 and 6). The model is tiny and random; a grammar keeps its words plain.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import { createProvider } from '../../src/streaming/providers/createProvider';
import type { UsageStats } from '../../src/streaming/providers/events';
import type { ChatProvider, ChatRequest, EndpointConfig } from '../../src/streaming/providers/provider';
import { notInstalled, realServerAvailable, startLlamaServer, type LlamaServer } from './llamaServer';

const available = realServerAvailable(it);
const skip = available ? false : notInstalled();
const silent = { info() {}, warn() {}, error() {} };

/** The provider, with every usage report it yields kept in order. */
function recording(provider: ChatProvider, usages: UsageStats[]): ChatProvider {
  return {
    url: provider.url,
    listModels: (s) => provider.listModels(s),
    contextWindow: provider.contextWindow && ((m, s) => provider.contextWindow!(m, s)),
    countTokens: provider.countTokens && ((t, s) => provider.countTokens!(t, s)),
    async *chat(request: ChatRequest, signal: AbortSignal) {
      for await (const e of provider.chat(request, signal)) {
        if (e.type === 'usage') usages.push(e.usage);
        yield e;
      }
    },
  };
}

describe('context and prompt cache against a real llama-server', { skip }, () => {
  let server: LlamaServer;
  before(async () => {
    server = await startLlamaServer({ args: ['--grammar', 'root ::= [a-zA-Z ,.]+', '-n', '16'] });
  });
  after(() => server?.stop());
  const endpoint = (): EndpointConfig => ({ name: 'llama.cpp', type: 'openai', url: server.url });

  it('reads n_ctx from /props and counts tokens with /tokenize', async () => {
    const provider = createProvider(endpoint());
    const window = await provider.contextWindow!('tiny');
    // The server's own figure, as its /props says it (-c 4096, split over -np 2 slots or unified, by version).
    const props = (await (await fetch(`${server.root}/props`)).json()) as {
      default_generation_settings?: { n_ctx?: number };
      n_ctx?: number;
    };
    const nCtx = props.default_generation_settings?.n_ctx ?? props.n_ctx;
    assert.ok(nCtx && nCtx > 0);
    assert.deepEqual(window, { loaded: nCtx, source: 'llama.cpp /props n_ctx' });
    const text = 'The quick brown fox jumps over the lazy dog.';
    const { tokens } = (await server.post('/tokenize', { content: text })) as { tokens: number[] };
    assert.equal(await provider.countTokens!(text), tokens.length);
  });

  it('turn 2 re-evaluates only what is new: its prefix (system, history) comes from the KV cache', async () => {
    const usages: UsageStats[] = [];
    const config: SessionConfig = { endpoint: endpoint(), model: 'tiny', maxUpdatesPerSecond: 50 };
    const session = new ChatSession({
      config: () => config,
      providerFor: (e) => recording(createProvider(e), usages),
      post: () => {},
      log: silent,
      instructions: async () => [{ source: 'setting', text: 'You answer questions about the text the user gives. '.repeat(20) }],
    });
    session.send(`Read this: ${'The river runs past the old mill and into the valley below. '.repeat(40)}`);
    await session.idle();
    session.send('And what about the mill?');
    await session.idle();
    assert.equal(usages.length, 2, 'one usage report per turn');
    const evaluated = usages.map((u) => (u.promptTokens ?? 0) - (u.cachedPromptTokens ?? 0));
    console.log(
      `prompt tokens evaluated: turn 1 ${evaluated[0]} of ${usages[0].promptTokens}, turn 2 ${evaluated[1]} of ${usages[1].promptTokens}`,
    );
    assert.ok(usages[1].promptTokens! > usages[0].promptTokens!, 'turn 2 sends more than turn 1');
    assert.ok(usages[1].cachedPromptTokens! > 0.8 * usages[0].promptTokens!, 'the prefix came from the cache');
    assert.ok(evaluated[1] < evaluated[0] / 5, `turn 2 evaluated ${evaluated[1]}, turn 1 ${evaluated[0]}`);
    // The meter's 100 % is what the server runs with.
    assert.ok(session.contextLimit && session.contextLimit > 0);
  });
});
