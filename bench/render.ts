/**
 * Render cost in the real webview bundle, in headless Chromium: a long answer (50,000 tokens: prose,
 * lists, tables, code, one 20 KB code block) replayed at 20 updates a second, once with the incremental
 * renderer and once with the naive full re-render (the page built with bench/baselines/fullRenderView.ts
 * in place of the incremental view), in the same run. Per update we time the message handling plus the
 * layout of the update (the scroll pinning reads scrollHeight in the next frame; read here at once), from
 * the page itself.
 *
 * Then a real-world document (about 130 KB: markdown-it's README, the CommonMark spec's prose,
 * highlight.js's README) at 3,000 tokens/s, ours and naive: the elements created per element of the final
 * answer (a MutationObserver on the message; an element moved, as a committed block is, counts once), and
 * the long tasks (> 50 ms) and the longest, on a quiet machine and with one core busy (a child process
 * spinning at normal priority, as a build would). BENCH_ONLY=realWorld runs only this part and saves nothing.
 */
import { spawn } from 'node:child_process';
import { longAnswer, realWorldDocument } from '../test/fixtures/markdownCorpus';
import { WebviewHarness } from '../test/webview/harness';
import { baselinePage } from './baselines/pageBundle';
import { garbageRun, type GarbageRun } from './heapGarbage';
import { fmt, saveSection, summary, table } from './stats';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 50_000);
const UPDATES_PER_SECOND = 20;
const TOKENS_PER_SECOND = 1000;
const MARKS = [1_000, 10_000, TOKENS];

/** Splits text into model-like tokens of about four characters. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S{1,4}|\s+/g) ?? [];
}

interface RunResult {
  renderer: string;
  at: Record<string, { p50: number; p95: number; max: number; n: number }>;
  longTasks: number;
  /** Updates the page drew later than the task that brought them (framePacer.ts): their work is not timed here. */
  drawnLater: number;
  heapBeforeMB: number;
  heapAfter10kMB: number;
  heapAfterMB: number;
  totalMs: number;
  /** The last update, which renders the final form (and, incremental, unwraps the chunk groups). */
  finishMs: number;
}

async function run(renderer: 'incremental' | 'naive', tokens: string[]): Promise<RunResult> {
  const h = new WebviewHarness();
  await h.start({ webviewJs: renderer === 'naive' ? await baselinePage('fullRender') : undefined, height: 800 });
  const cdp = await h.page.context().newCDPSession(h.page);
  const heapMB = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize / 1024 / 1024;
  };
  const perUpdate = TOKENS_PER_SECOND / UPDATES_PER_SECOND;
  const updates: string[] = [];
  for (let i = 0; i < tokens.length; i += perUpdate) updates.push(tokens.slice(i, i + perUpdate).join(''));
  await h.page.evaluate(() => {
    const w = window as any;
    w.__longTasks = 0;
    new PerformanceObserver((list) => (w.__longTasks += list.getEntries().length)).observe({ type: 'longtask', buffered: false });
    w.__timings = [];
    w.__seq = 0;
    w.__drawnLater = 0;
    window.dispatchEvent(
      new MessageEvent('message', {
        data: { type: 'messageAdded', message: { id: 'bench', role: 'assistant', text: '', state: 'streaming', seq: 0 } },
      }),
    );
    w.__changes = new MutationObserver(() => {});
    w.__changes.observe(document.querySelector('article[data-id="bench"] .markdown'), {
      childList: true,
      subtree: true,
      characterData: true,
    });
  });
  const heapBefore = await heapMB();
  const play = (batch: string[], startToken: number) =>
    h.page.evaluate(
      async ({ batch, startToken, perUpdate, interval }) => {
        const w = window as any;
        let next = performance.now();
        for (let i = 0; i < batch.length; i++) {
          next += interval;
          const t0 = performance.now();
          window.dispatchEvent(new MessageEvent('message', { data: { type: 'delta', id: 'bench', seq: ++w.__seq, text: batch[i] } }));
          // The page scrolls in the next frame, which lays the update out: read what it reads, so that layout is timed here.
          void document.querySelector('.messages')?.scrollHeight;
          w.__timings.push([startToken + (i + 1) * perUpdate, performance.now() - t0]);
          if (!w.__changes.takeRecords().length) w.__drawnLater++;
          await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
        }
      },
      { batch, startToken, perUpdate, interval: 1000 / UPDATES_PER_SECOND },
    );
  const started = Date.now();
  const tenK = Math.round(10_000 / perUpdate);
  await play(updates.slice(0, tenK), 0);
  const heap10k = await heapMB();
  await play(updates.slice(tenK), tenK * perUpdate);
  const finishMs = await h.page.evaluate(() => {
    const t0 = performance.now();
    window.dispatchEvent(
      new MessageEvent('message', { data: { type: 'delta', id: 'bench', seq: ++(window as any).__seq, text: '', end: { state: 'done' } } }),
    );
    void document.querySelector('.messages')!.scrollHeight;
    return performance.now() - t0;
  });
  const heapAfter = await heapMB();
  const { timings, longTasks, drawnLater } = await h.page.evaluate(() => ({
    timings: (window as any).__timings as Array<[number, number]>,
    longTasks: (window as any).__longTasks as number,
    drawnLater: (window as any).__drawnLater as number,
  }));
  await h.stop();
  // Each mark: the updates around that many tokens (at least 20 of them: 1,000 tokens is 20 updates).
  const at: RunResult['at'] = {};
  for (const mark of MARKS) {
    const lo = mark === TOKENS ? mark * 0.9 : mark === 1_000 ? 500 : mark * 0.9;
    const hi = mark === TOKENS ? Infinity : mark === 1_000 ? 1_500 : mark * 1.1;
    at[`${mark}`] = summary(timings.filter(([t]) => t >= lo && t <= hi).map(([, ms]) => ms));
  }
  return {
    renderer,
    at,
    longTasks,
    drawnLater,
    heapBeforeMB: heapBefore,
    heapAfter10kMB: heap10k,
    heapAfterMB: heapAfter,
    totalMs: Date.now() - started,
    finishMs,
  };
}

const REAL_WORLD_TOKENS_PER_SECOND = 3000;

interface RealWorldRun {
  /** Distinct elements ever inserted into the message, over the elements of its final form. */
  createdPerFinal: number;
  created: number;
  finalElements: number;
  longTasks: number;
  longestTaskMs: number;
}

/** The real-world stream's updates: the tokens of 1/20 s at 3,000 tokens/s each. */
function realWorldUpdates(tokens: string[]): string[] {
  const perUpdate = REAL_WORLD_TOKENS_PER_SECOND / UPDATES_PER_SECOND;
  const updates: string[] = [];
  for (let i = 0; i < tokens.length; i += perUpdate) updates.push(tokens.slice(i, i + perUpdate).join(''));
  return updates;
}

/**
 * Streams `tokens` into a fresh page at 20 updates a second, then ends the answer and waits until the page
 * has been quiet (no DOM change) for a second: deferred work (unwrapping, highlighting) is counted too.
 */
export async function realWorldRun(
  renderer: 'incremental' | 'naive',
  tokens: string[],
  measure: 'elements' | 'longTasks',
  /** Another build of the page to measure as "incremental" (an older renderer, to compare). */
  page?: string,
): Promise<RealWorldRun> {
  const h = new WebviewHarness();
  await h.start({ webviewJs: renderer === 'naive' ? await baselinePage('fullRender') : page, height: 800 });
  const updates = realWorldUpdates(tokens);
  const result = await h.page.evaluate(
    async ({ updates, interval, measure }) => {
      const send = (data: unknown) => window.dispatchEvent(new MessageEvent('message', { data }));
      const tasks: number[] = [];
      if (measure === 'longTasks')
        new PerformanceObserver((list) => tasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
      send({ type: 'messageAdded', message: { id: 'rw', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
      const body = document.querySelector('article[data-id="rw"] .markdown')!;
      const seen = new WeakSet<Element>();
      let created = 0;
      let lastChange: number;
      const count = (e: Element) => {
        if (!seen.has(e)) {
          seen.add(e);
          created++;
        }
      };
      new MutationObserver((records) => {
        lastChange = performance.now();
        if (measure !== 'elements') return;
        for (const r of records)
          for (const n of Array.from(r.addedNodes))
            if (n instanceof Element) {
              count(n);
              n.querySelectorAll('*').forEach(count);
            }
      }).observe(body, { childList: true, subtree: true, characterData: true });
      let next = performance.now();
      for (let i = 0; i < updates.length; i++) {
        next += interval;
        send({ type: 'delta', id: 'rw', seq: i + 1, text: updates[i] });
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
      }
      send({ type: 'delta', id: 'rw', seq: updates.length + 1, text: '', end: { state: 'done' } });
      lastChange = performance.now();
      while (performance.now() - lastChange < 1000) await new Promise((r) => setTimeout(r, 100));
      const finalElements = body.querySelectorAll('*').length;
      return {
        created,
        finalElements,
        createdPerFinal: created / finalElements,
        longTasks: tasks.length,
        longestTaskMs: tasks.length ? Math.max(...tasks) : 0,
      };
    },
    { updates, interval: 1000 / UPDATES_PER_SECOND, measure },
  );
  await h.stop();
  return result;
}

/**
 * JavaScript allocated per update (garbage included: V8's sampling heap profiler, keeping what the minor and
 * major collections took) while the real-world document is streamed twice in one answer: the first copy
 * against the second, the same text at twice the length. Work per update is bounded by the tail, and so
 * must allocation be: in the real editor the page shares its heap with the workbench, and an answer that
 * allocated in proportion to its length (the whole text flattened into a fresh copy at every update)
 * brought on major collections, long tasks for the whole window, as it grew.
 */
export async function allocationRun(
  renderer: 'incremental' | 'naive',
  tokens: string[],
  page?: string,
): Promise<{ firstKBPerUpdate: number; secondKBPerUpdate: number }> {
  const h = new WebviewHarness();
  await h.start({ webviewJs: renderer === 'naive' ? await baselinePage('fullRender') : page, height: 800 });
  const cdp = await h.page.context().newCDPSession(h.page);
  await cdp.send('HeapProfiler.enable');
  const updates = realWorldUpdates(tokens);
  await h.page.evaluate(() => {
    (window as any).__seq = 0;
    window.dispatchEvent(
      new MessageEvent('message', {
        data: { type: 'messageAdded', message: { id: 'rw', role: 'assistant', text: '', state: 'streaming', seq: 0 } },
      }),
    );
  });
  const sampled = async (batch: string[]) => {
    await cdp.send('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as never);
    await h.page.evaluate(async (batch) => {
      for (const text of batch) {
        window.dispatchEvent(new MessageEvent('message', { data: { type: 'delta', id: 'rw', seq: ++(window as any).__seq, text } }));
        // Let a frame lay the update out, as the real page does between updates.
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      }
    }, batch);
    const { profile } = (await cdp.send('HeapProfiler.stopSampling')) as { profile: { head: SampledNode } };
    return totalSize(profile.head) / batch.length / 1024;
  };
  const firstKBPerUpdate = await sampled(updates);
  const secondKBPerUpdate = await sampled(['\n\n', ...updates]);
  await h.stop();
  return { firstKBPerUpdate, secondKBPerUpdate };
}

interface SampledNode {
  selfSize: number;
  children: SampledNode[];
}

function totalSize(node: SampledNode): number {
  return node.children.reduce((sum, child) => sum + totalSize(child), node.selfSize);
}

/** One core kept busy at normal priority for the duration of `fn`, as a build running beside the chat. */
async function withCpuHog<T>(fn: () => Promise<T>): Promise<T> {
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    return await fn();
  } finally {
    hog.kill();
  }
}

interface RealWorldResult {
  bytes: number;
  tokens: number;
  tokensPerSecond: number;
  elements: Record<'incremental' | 'naive', RealWorldRun>;
  quiet: Record<'incremental' | 'naive', RealWorldRun>;
  busyCore: Record<'incremental' | 'naive', RealWorldRun>;
  allocation: Record<'incremental' | 'naive', { firstKBPerUpdate: number; secondKBPerUpdate: number }>;
  /** V8 + Blink memory the answer left to collect, and kept (bench/heapGarbage.ts). */
  garbage: Record<'incremental' | 'naive' | 'appended', GarbageRun>;
}

/** bench/heapGarbage.ts's three pages; `appended` gets our page's final render. */
async function garbage(tokens: string[]): Promise<RealWorldResult['garbage']> {
  const updates = realWorldUpdates(tokens);
  const { finalHtml, ...incremental } = await garbageRun('incremental', updates);
  const { finalHtml: _appendedHtml, ...appended } = await garbageRun('appended', updates, finalHtml);
  const { finalHtml: _naiveHtml, ...naive } = await garbageRun('naive', updates);
  return { incremental, naive, appended };
}

async function realWorld(): Promise<RealWorldResult> {
  const text = realWorldDocument();
  const tokens = tokenize(text);
  console.log(
    `Real-world document: ${(text.length / 1024).toFixed(0)} KB, ${tokens.length} tokens at ${REAL_WORLD_TOKENS_PER_SECOND} tokens/s, ${UPDATES_PER_SECOND} updates/s`,
  );
  const both = async (measure: 'elements' | 'longTasks') => ({
    incremental: await realWorldRun('incremental', tokens, measure),
    naive: await realWorldRun('naive', tokens, measure),
  });
  const result: RealWorldResult = {
    bytes: text.length,
    tokens: tokens.length,
    tokensPerSecond: REAL_WORLD_TOKENS_PER_SECOND,
    elements: await both('elements'),
    quiet: await both('longTasks'),
    busyCore: await withCpuHog(() => both('longTasks')),
    allocation: { incremental: await allocationRun('incremental', tokens), naive: await allocationRun('naive', tokens) },
    garbage: await garbage(tokens),
  };
  const tasks = (r: RealWorldRun) => `${r.longTasks} (longest ${fmt(r.longestTaskMs, 0)} ms)`;
  const { elements, quiet, busyCore, allocation } = result;
  const left = (g: GarbageRun) => `${fmt(g.garbageMB, 1)} MB (kept ${fmt(g.keptMB, 1)} MB)`;
  const kb = (a: RealWorldResult['allocation']['naive']) =>
    `${fmt(a.firstKBPerUpdate, 0)} -> ${fmt(a.secondKBPerUpdate, 0)} KB (${fmt(a.secondKBPerUpdate / a.firstKBPerUpdate, 2)}x)`;
  console.log(
    table(
      ['real-world document, 3,000 tokens/s', 'incremental', 'naive full render', 'target'],
      [
        [
          'elements created per final element',
          `${fmt(elements.incremental.createdPerFinal)} (${elements.incremental.created} / ${elements.incremental.finalElements})`,
          `${fmt(elements.naive.createdPerFinal)} (${elements.naive.created} / ${elements.naive.finalElements})`,
          '<= 1.5',
        ],
        ['long tasks (> 50 ms), quiet machine', tasks(quiet.incremental), tasks(quiet.naive), '0'],
        ['long tasks (> 50 ms), one core busy', tasks(busyCore.incremental), tasks(busyCore.naive), '0'],
        [
          'JS allocated per update, document streamed twice: first copy -> second',
          kb(allocation.incremental),
          kb(allocation.naive),
          '<= 1.5x',
        ],
        [
          'V8 + Blink garbage of the answer (final blocks appended as they come: ' + left(result.garbage.appended) + ')',
          left(result.garbage.incremental),
          left(result.garbage.naive),
          '<= 1.5x appended',
        ],
      ],
    ),
  );
  return result;
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'realWorld') {
    await realWorld();
    return;
  }
  const text = longAnswer(TOKENS);
  const tokens = tokenize(text);
  console.log(
    `Render benchmark: ${tokens.length} tokens (${(text.length / 1024).toFixed(0)} KB), ${UPDATES_PER_SECOND} updates/s, headless Chromium`,
  );
  const incremental = await run('incremental', tokens);
  if (process.env.BENCH_ONLY === 'incremental') {
    console.log(JSON.stringify(incremental.at), 'finish', incremental.finishMs.toFixed(1), 'ms, long tasks', incremental.longTasks);
    return;
  }
  const naive = await run('naive', tokens);
  const rows = MARKS.map((m) => {
    const a = incremental.at[m];
    const b = naive.at[m];
    return [
      `${m / 1000}k tokens`,
      `${fmt(a.p50)} / ${fmt(a.p95)} / ${fmt(a.max)}`,
      `${fmt(b.p50)} / ${fmt(b.p95)} / ${fmt(b.max)}`,
      `${fmt(b.p95 / a.p95, 1)}x`,
    ];
  });
  rows.push(['final update (end of answer)', `${fmt(incremental.finishMs)}`, `${fmt(naive.finishMs)}`, '']);
  rows.push(['long tasks (>50 ms)', String(incremental.longTasks), String(naive.longTasks), '']);
  rows.push(['updates drawn after their task (paced, not timed)', String(incremental.drawnLater), String(naive.drawnLater), '']);
  rows.push([
    'heap growth, 10k tokens',
    `${fmt(incremental.heapAfter10kMB - incremental.heapBeforeMB, 1)} MB`,
    `${fmt(naive.heapAfter10kMB - naive.heapBeforeMB, 1)} MB`,
    '',
  ]);
  rows.push(['heap after the stream', `${fmt(incremental.heapAfterMB, 1)} MB`, `${fmt(naive.heapAfterMB, 1)} MB`, '']);
  console.log(table(['per update, ms (p50 / p95 / max)', 'incremental', 'naive full render', 'naive/ours p95'], rows));
  const first = incremental.at[MARKS[0]].p95;
  const last = incremental.at[TOKENS].p95;
  console.log(
    `Targets: p95 at ${TOKENS / 1000}k < 4 ms: ${fmt(last)} ms; p95 at ${TOKENS / 1000}k <= 1.5x p95 at 1k: ${fmt(last / first, 2)}x; long tasks 0: ${incremental.longTasks}; heap growth for 10k < 20 MB: ${fmt(incremental.heapAfter10kMB - incremental.heapBeforeMB, 1)} MB`,
  );
  const realWorldResult = await realWorld();
  saveSection('render', {
    tokens: tokens.length,
    bytes: text.length,
    updatesPerSecond: UPDATES_PER_SECOND,
    incremental,
    naive,
    realWorld: realWorldResult,
  });
}

if (require.main === module)
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
