/**
 * Figure 3a: Stop latency, abort -> the server sees its socket closed (FakeOllama.closed[].at, same
 * process and clock). Ours is ChatSession.stop(); the naive approach is ollama-js's own abort
 * (`stream.abort()` on the iterator `client.chat` returns), which exists only once the response headers
 * are in: mid-stream both are immediate, but during a cold model load the naive Stop waits for the load.
 */
import { Ollama } from 'ollama';
import { ChatSession } from '../src/streaming/chat/chatSession';
import { createProvider } from '../src/streaming/providers/createProvider';
import { answerLines, FakeOllama, paced } from '../test/fakes/ollamaServer';
import { countingPost, median, silentLog, sleep } from './hosts';
import type { Figure } from './report';

const MODEL = 'test-model:latest';
/** How long the stream runs before Stop, and how long the cold load holds the headers. */
const STOP_AFTER_MS = 200;
const LOAD_MS = 1500;

/** A long answer at 500 tokens/s; when `cold`, after holding the headers for LOAD_MS (a model loading). */
const script = (cold: boolean) => (body: any) => ({
  holdHeadersMs: cold ? LOAD_MS : undefined,
  steps: paced(
    answerLines(
      body.model,
      Array.from({ length: 2000 }, (_, i) => `t${i} `),
    ),
    2,
  ),
});

interface StopRun {
  /** abort -> socket closed at the server */
  closeMs: number;
  /** abort -> the webview got the message that ends the answer (ours only) */
  endPostMs?: number;
}

export async function oursStop(server: FakeOllama, cold: boolean): Promise<StopRun> {
  server.onChat = script(cold);
  const closedBefore = server.closed.length;
  const requestsBefore = server.chatRequests.length;
  const { post, stats } = countingPost('delta');
  const session = new ChatSession({
    config: () => ({ endpoint: { name: 'bench', type: 'ollama', url: server.url }, model: MODEL, maxUpdatesPerSecond: 20 }),
    providerFor: (e) => createProvider(e),
    post,
    log: silentLog,
  });
  session.send('Hi');
  await server.until(() => server.chatRequests.length > requestsBefore);
  await sleep(STOP_AFTER_MS);
  if (!cold && !stats.firstDeltaAt) throw new Error('no delta before Stop');
  const abortAt = performance.now();
  session.stop();
  await server.until(() => server.closed.length > closedBefore, 10_000);
  await session.idle();
  return { closeMs: server.closed[closedBefore].at - abortAt, endPostMs: stats.endAt! - abortAt };
}

export async function naiveStop(server: FakeOllama, cold: boolean): Promise<StopRun> {
  server.onChat = script(cold);
  const closedBefore = server.closed.length;
  const requestsBefore = server.chatRequests.length;
  const client = new Ollama({ host: server.url });
  let stopped = false;
  let abortAt = 0;
  const reading = (async () => {
    const stream = await client.chat({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    // The earliest a Stop pressed during the load can act: the iterator did not exist before.
    if (stopped) return stream.abort();
    setTimeout(() => {
      stopped = true;
      abortAt = performance.now();
      stream.abort();
    }, STOP_AFTER_MS);
    try {
      for await (const _ of stream);
    } catch {
      // AbortError: expected
    }
  })().catch(() => {});
  await server.until(() => server.chatRequests.length > requestsBefore);
  if (cold) {
    await sleep(STOP_AFTER_MS);
    stopped = true;
    abortAt = performance.now();
    client.abort(); // aborts only streams whose headers already came: none yet
  }
  await server.until(() => server.closed.length > closedBefore, 10_000);
  await reading;
  return { closeMs: server.closed[closedBefore].at - abortAt };
}

export async function benchStop(opts: { runs: number }, log: (s: string) => void): Promise<{ figures: Figure[]; section: unknown }> {
  const server = new FakeOllama();
  await server.start();
  try {
    const section: Record<string, { ours: StopRun[]; naive: StopRun[] }> = {
      midStream: { ours: [], naive: [] },
      coldLoad: { ours: [], naive: [] },
    };
    await oursStop(server, false); // warm-up
    await naiveStop(server, false);
    for (let i = 0; i < opts.runs; i++) {
      section.midStream.ours.push(await oursStop(server, false));
      section.midStream.naive.push(await naiveStop(server, false));
    }
    for (let i = 0; i < opts.runs; i++) {
      section.coldLoad.ours.push(await oursStop(server, true));
      section.coldLoad.naive.push(await naiveStop(server, true));
    }
    const close = (rs: StopRun[]) => rs.map((r) => r.closeMs);
    log(
      `  stop: mid-stream ${median(close(section.midStream.ours)).toFixed(2)} ms (naive ${median(close(section.midStream.naive)).toFixed(2)}), cold load ${median(close(section.coldLoad.ours)).toFixed(2)} ms (naive ${median(close(section.coldLoad.naive)).toFixed(0)}); answer marked stopped ${median(section.midStream.ours.map((r) => r.endPostMs!)).toFixed(1)} ms after Stop`,
    );
    const figures: Figure[] = [
      {
        measure: 'Stop mid-stream -> server socket closed',
        chartLabel: 'Stop mid-stream (socket closed)',
        unit: 'ms',
        digits: 2,
        ours: close(section.midStream.ours),
        naive: close(section.midStream.naive),
        better: 'lower',
        target: { label: '< 100 ms', met: median(close(section.midStream.ours)) < 100 },
      },
      {
        measure: `Stop during a ${LOAD_MS / 1000} s model load -> socket closed`,
        chartLabel: `Stop during a ${LOAD_MS / 1000} s model load`,
        unit: 'ms',
        digits: 2,
        ours: close(section.coldLoad.ours),
        naive: close(section.coldLoad.naive),
        better: 'lower',
        target: { label: '< 100 ms', met: median(close(section.coldLoad.ours)) < 100 },
      },
    ];
    return { figures, section: { stopAfterMs: STOP_AFTER_MS, loadMs: LOAD_MS, ...section } };
  } finally {
    await server.stop();
  }
}
