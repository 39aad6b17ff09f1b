/**
 * Prompt tokens re-evaluated on turn 2, against the real llama-server (issue #17 point 6): ours (ChatSession,
 * whose requests keep a byte-identical prefix) vs a naive client that puts the time at the top of its system
 * prompt, as many do, so the server's KV cache cannot reuse anything. Standalone for now (not in run.ts):
 * `node --import tsx bench/promptCache.ts`. Needs `bash test/real-server/install.sh`.
 */
import { ChatSession } from '../src/streaming/chat/chatSession';
import { createProvider } from '../src/streaming/providers/createProvider';
import type { UsageStats } from '../src/streaming/providers/events';
import type { ChatMessage, ChatProvider, EndpointConfig } from '../src/streaming/providers/provider';
import { notInstalled, startLlamaServer } from '../test/real-server/llamaServer';
import { silentLog } from './hosts';

const INSTRUCTIONS = 'You answer questions about the text the user gives. '.repeat(20);
const FIRST = `Read this: ${'The river runs past the old mill and into the valley below. '.repeat(40)}`;
const SECOND = 'And what about the mill?';
const RUNS = 3;

const evaluated = (u: UsageStats | undefined) => (u?.promptTokens ?? 0) - (u?.cachedPromptTokens ?? 0);

async function usageOf(provider: ChatProvider, messages: ChatMessage[]): Promise<UsageStats | undefined> {
  let usage: UsageStats | undefined;
  for await (const e of provider.chat({ model: 'tiny', messages }, new AbortController().signal)) if (e.type === 'usage') usage = e.usage;
  return usage;
}

/** Ours: two turns of a ChatSession; the second turn's usage. */
async function ours(endpoint: EndpointConfig): Promise<number> {
  const usages: UsageStats[] = [];
  const session = new ChatSession({
    config: () => ({ endpoint, model: 'tiny', maxUpdatesPerSecond: 50 }),
    providerFor: (e) => {
      const p = createProvider(e);
      return { ...p, url: p.url, listModels: (s) => p.listModels(s), chat: (r, s) => tap(p.chat(r, s), usages) };
    },
    post: () => {},
    log: silentLog,
    instructions: async () => [{ source: 'setting', text: INSTRUCTIONS }],
  });
  session.send(FIRST);
  await session.idle();
  session.send(SECOND);
  await session.idle();
  return evaluated(usages[1]);
}

async function* tap<T extends { type: string }>(events: AsyncIterable<T>, usages: UsageStats[]): AsyncGenerator<T> {
  for await (const e of events) {
    if (e.type === 'usage') usages.push((e as unknown as { usage: UsageStats }).usage);
    yield e;
  }
}

/** Naive: the same conversation, with the time of the request at the top of the system prompt. */
async function naive(endpoint: EndpointConfig): Promise<number> {
  const provider = createProvider(endpoint);
  const system = () => `Current time: ${new Date().toISOString()}\n${INSTRUCTIONS}`;
  const first: ChatMessage[] = [{ role: 'user', content: FIRST }];
  await usageOf(provider, [{ role: 'system', content: system() }, ...first]);
  const second: ChatMessage[] = [...first, { role: 'assistant', content: 'Fine.' }, { role: 'user', content: SECOND }];
  return evaluated(await usageOf(provider, [{ role: 'system', content: system() }, ...second]));
}

async function main(): Promise<void> {
  const missing = notInstalled();
  if (missing) throw new Error(missing);
  const server = await startLlamaServer({ args: ['--grammar', 'root ::= [a-zA-Z ,.]+', '-n', '16', '-np', '1'] });
  try {
    const endpoint: EndpointConfig = { name: 'llama.cpp', type: 'openai', url: server.url };
    const results = { ours: [] as number[], naive: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      results.naive.push(await naive(endpoint));
      results.ours.push(await ours(endpoint));
    }
    console.log(JSON.stringify({ figure: 'prompt tokens re-evaluated on turn 2', ...results }));
  } finally {
    await server.stop();
  }
}

void main();
