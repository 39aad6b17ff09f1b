/**
 * Figure 5: extension-host CPU and memory while an answer streams at 100 tokens/s for 60 s (10 s with
 * BENCH_QUICK=1). Ours and the naive host each run in their own process (this file, run as a child with
 * --expose-gc), at the same time, against the paced fake Ollama in a third process, so process.cpuUsage()
 * counts the host alone. CPU is reported per window (10 s; 2 s when quick): median and spread of those.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createProvider } from '../src/streaming/providers/createProvider';
import { answerTokens } from '../test/fakes/pacedOllama';
import { endpointAt, median, runNaive, runOurs, type ServerChild } from './hosts';
import type { Figure } from './report';

interface ChildArgs {
  mode: 'ours' | 'naive';
  url: string;
  rate: number;
  seconds: number;
  windowMs: number;
}

export interface HostCpuResult {
  mode: 'ours' | 'naive';
  wallMs: number;
  cpuMs: number;
  /** Per window, % of one core. */
  windows: number[];
  heapStartMB: number;
  /** Heap after GC at the end, the answer still held. */
  heapEndMB: number;
  /** Largest heapUsed sampled every 100 ms during the stream (garbage included). */
  heapPeakMB: number;
  rssStartMB: number;
  rssPeakMB: number;
  messages: number;
  bytes: number;
  complete: boolean;
}

const MB = 1024 * 1024;

async function child(args: ChildArgs): Promise<HostCpuResult> {
  const gc = (globalThis as any).gc as (() => void) | undefined;
  // Warm up before measuring: fetch and web streams load lazily, and a first short answer JITs the path.
  await createProvider(endpointAt(args.url)).listModels();
  const host = args.mode === 'ours' ? runOurs : runNaive;
  await host(args.url, { tokens: 200, rate: 10_000, firstDelayMs: 0 });
  gc?.();
  const mem0 = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let heapPeak = mem0.heapUsed;
  let rssPeak = mem0.rss;
  const windows: number[] = [];
  let lastCpu = cpu0;
  let lastT = t0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    heapPeak = Math.max(heapPeak, m.heapUsed);
    rssPeak = Math.max(rssPeak, m.rss);
  }, 100);
  const windowTimer = setInterval(() => {
    const cpu = process.cpuUsage();
    const t = performance.now();
    windows.push((100 * (cpu.user - lastCpu.user + cpu.system - lastCpu.system)) / 1000 / (t - lastT));
    lastCpu = cpu;
    lastT = t;
  }, args.windowMs);
  const spec = { tokens: args.rate * args.seconds, rate: args.rate, firstDelayMs: 0 };
  const run = await host(args.url, spec);
  clearInterval(sampler);
  clearInterval(windowTimer);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  gc?.();
  const mem1 = process.memoryUsage();
  return {
    mode: args.mode,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    windows,
    heapStartMB: mem0.heapUsed / MB,
    heapEndMB: mem1.heapUsed / MB,
    heapPeakMB: heapPeak / MB,
    rssStartMB: mem0.rss / MB,
    rssPeakMB: rssPeak / MB,
    messages: run.stats.messages,
    bytes: run.stats.bytes,
    complete: run.stats.text === answerTokens(spec.tokens).join('') && run.stats.endState === 'done',
  };
}

function spawnHost(args: ChildArgs): Promise<HostCpuResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', __filename, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let result: HostCpuResult | undefined;
    createInterface({ input: p.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) result = JSON.parse(line);
    });
    p.on('exit', (code) => (result ? resolve(result) : reject(new Error(`host child (${args.mode}) exited with ${code} and no result`))));
  });
}

export async function benchHostCpu(
  server: ServerChild,
  opts: { rate: number; seconds: number; windowMs: number },
  log: (s: string) => void,
): Promise<{ figures: Figure[]; section: unknown }> {
  const [ours, naive] = await Promise.all([
    spawnHost({ mode: 'ours', url: server.url, ...opts }),
    spawnHost({ mode: 'naive', url: server.url, ...opts }),
  ]);
  const pct = (r: HostCpuResult) => (100 * r.cpuMs) / r.wallMs;
  log(
    `  host CPU over ${opts.seconds} s at ${opts.rate} tokens/s: ours ${pct(ours).toFixed(2)}% of a core (${ours.cpuMs.toFixed(0)} ms), naive ${pct(naive).toFixed(2)}% (${naive.cpuMs.toFixed(0)} ms); heap peak +${(ours.heapPeakMB - ours.heapStartMB).toFixed(1)} MB vs +${(naive.heapPeakMB - naive.heapStartMB).toFixed(1)} MB${ours.complete && naive.complete ? '' : ' — INCOMPLETE'}`,
  );
  const figures: Figure[] = [
    {
      measure: `Host CPU, ${opts.rate} tokens/s for ${opts.seconds} s (% of one core, per ${opts.windowMs / 1000} s window)`,
      chartLabel: 'Extension-host CPU while streaming',
      unit: '%',
      digits: 2,
      ours: ours.windows,
      naive: naive.windows,
      better: 'lower',
      target: { label: '< 10% of one core', met: ours.complete && median(ours.windows) < 10 && pct(ours) < 10 },
    },
    {
      measure: 'Host heap peak during that stream, above start',
      unit: 'MB',
      digits: 1,
      ours: [ours.heapPeakMB - ours.heapStartMB],
      naive: [naive.heapPeakMB - naive.heapStartMB],
      better: 'lower',
      chart: false,
    },
  ];
  return { figures, section: { ...opts, ours, naive, meanCpuPercent: { ours: pct(ours), naive: pct(naive) } } };
}

if (require.main === module) {
  child(JSON.parse(process.argv[2]) as ChildArgs).then(
    (r) => {
      console.log(JSON.stringify(r));
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
