/**
 * The two extension hosts the benchmarks compare, fed by the same fake Ollama stream:
 * - ours: the real ChatSession (throttle, deltas) with the real provider from createProvider;
 * - naive: the same provider and runTurn, posting every token with the whole text so far.
 * Each `post` serialises the message (as VS Code's postMessage does) and counts messages and bytes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { decodeDelta, type HostToWebview } from '../src/shared/protocol';
import { ChatSession } from '../src/streaming/chat/chatSession';
import type { SessionConfig } from '../src/streaming/chat/sessionTypes';
import { runTurn } from '../src/streaming/chat/chatTurn';
import { createProvider } from '../src/streaming/providers/createProvider';
import type { ChatProvider } from '../src/streaming/providers/provider';
import type { PaceSpec, StreamRecord } from '../test/fakes/pacedOllama';

export const MODEL = 'bench:latest';
export const silentLog = { info() {}, warn() {}, error() {} };
export const epochNow = () => performance.timeOrigin + performance.now();

export const endpointAt = (url: string) => ({ name: 'bench', type: 'ollama' as const, url });

export function sessionConfig(url: string, maxUpdatesPerSecond = 20): SessionConfig {
  return { endpoint: endpointAt(url), model: MODEL, maxUpdatesPerSecond };
}

/** What a counting post saw. Times are performance.now() of this process. */
export interface PostStats {
  messages: number;
  bytes: number;
  /** Of which in delta messages. */
  deltaBytes: number;
  /** Time of each delta (stream update). */
  deltaTimes: number[];
  /** The answer as the webview would have it. */
  text: string;
  firstDeltaAt?: number;
  /** When the message that ends the answer was posted. */
  endAt?: number;
  endState?: string;
}

/** A post that serialises every message and counts it; `deltaText` says how a delta changes the answer. */
export function countingPost(
  mode: 'delta' | 'whole',
  forward?: (m: HostToWebview, json: string) => void,
): { post: (m: HostToWebview) => void; stats: PostStats } {
  const stats: PostStats = { messages: 0, bytes: 0, deltaBytes: 0, deltaTimes: [], text: '' };
  const post = (m: HostToWebview) => {
    const json = JSON.stringify(m);
    stats.messages++;
    const bytes = Buffer.byteLength(json);
    stats.bytes += bytes;
    // Streaming updates are compact strings (`<seq>:<text>`); an answer's last one is a delta object.
    const delta = typeof m === 'string' ? decodeDelta(m) : m.type === 'delta' ? m : undefined;
    if (delta) {
      stats.deltaBytes += bytes;
      const now = performance.now();
      stats.deltaTimes.push(now);
      stats.firstDeltaAt ??= now;
      stats.text = mode === 'delta' ? stats.text + delta.text : delta.text;
      const end = (delta as { end?: { state: string } }).end;
      if (end) {
        stats.endAt = now;
        stats.endState = end.state as typeof stats.endState;
      }
    }
    forward?.(m, json);
  };
  return { post, stats };
}

/** Wraps a provider to see the token stream it hands on: each text event and when it came. */
export function tapProvider(provider: ChatProvider, onText: (text: string, at: number) => void): ChatProvider {
  return {
    url: provider.url,
    listModels: (signal) => provider.listModels(signal),
    async *chat(request, signal) {
      for await (const event of provider.chat(request, signal)) {
        if (event.type === 'text') onText(event.text, performance.now());
        yield event;
      }
    },
  } as ChatProvider;
}

export interface HostRun {
  stats: PostStats;
  /** performance.now() when the turn was started. */
  startedAt: number;
  /** Text events from the provider, with their times (when tapped). */
  tokens: Array<{ text: string; at: number }>;
}

export interface HostOptions {
  /** Abort the turn when it is still running at this performance.now() (a host that fell far behind). */
  deadline?: number;
  tap?: boolean;
  forward?: (m: HostToWebview, json: string) => void;
  /** Called with a function that stops the turn. */
  onStart?: (stop: () => void) => void;
}

/** Ours: one turn through the real ChatSession. */
export async function runOurs(url: string, spec: PaceSpec, opts: HostOptions = {}): Promise<HostRun> {
  const { post, stats } = countingPost('delta', opts.forward);
  const tokens: HostRun['tokens'] = [];
  const session = new ChatSession({
    config: () => sessionConfig(url),
    providerFor: (e) => (opts.tap ? tapProvider(createProvider(e), (text, at) => tokens.push({ text, at })) : createProvider(e)),
    post,
    log: silentLog,
  });
  const startedAt = performance.now();
  session.send(JSON.stringify(spec));
  opts.onStart?.(() => session.stop());
  const timer = opts.deadline ? setTimeout(() => session.stop(), Math.max(0, opts.deadline - performance.now())) : undefined;
  await session.idle();
  clearTimeout(timer);
  session.dispose();
  return { stats, startedAt, tokens };
}

/** Naive: the same provider and turn, but every token is posted at once with the whole answer so far. */
export async function runNaive(url: string, spec: PaceSpec, opts: HostOptions = {}): Promise<HostRun> {
  const { post, stats } = countingPost('whole', opts.forward);
  const tokens: HostRun['tokens'] = [];
  const provider = createProvider(endpointAt(url));
  const controller = new AbortController();
  const question = JSON.stringify(spec);
  const id = randomUUID();
  const startedAt = performance.now();
  post({ type: 'messageAdded', message: { id: randomUUID(), role: 'user', text: question, state: 'done', seq: 0 } });
  post({ type: 'messageAdded', message: { id, role: 'assistant', text: '', state: 'streaming', seq: 0 } });
  post({ type: 'busy', busy: true });
  opts.onStart?.(() => controller.abort());
  let text = '';
  let seq = 0;
  const outcome = await runTurn(provider, { model: MODEL, messages: [{ role: 'user', content: question }] }, controller.signal, {
    onText: (t) => {
      if (opts.tap) tokens.push({ text: t, at: performance.now() });
      text += t;
      post({ type: 'delta', id, seq: ++seq, text });
      // Checked per token: a naive host that falls behind blocks its own event loop, so timers come late.
      if (opts.deadline && performance.now() > opts.deadline && !controller.signal.aborted) controller.abort();
    },
  });
  post({ type: 'delta', id, seq: ++seq, text, end: { state: outcome.state } });
  post({ type: 'busy', busy: false });
  return { stats, startedAt, tokens };
}

/** The paced fake Ollama in its own process, so its CPU and event loop are not the host's. */
export interface ServerChild {
  url: string;
  streams(): Promise<StreamRecord[]>;
  stop(): Promise<void>;
}

export async function startServerChild(): Promise<ServerChild> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'test', 'fakes', 'pacedOllama.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      rl.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`fake server exited with ${code}`)));
  });
  const { url } = JSON.parse(firstLine) as { url: string };
  return {
    url,
    streams: async () => (await (await fetch(`${url}/bench/streams`)).json()) as StreamRecord[],
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Largest number of timestamps within any window of `windowMs` (timestamps sorted). */
export function maxInWindow(times: number[], windowMs = 1000): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi] - times[lo] >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

export { median } from './stats';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
