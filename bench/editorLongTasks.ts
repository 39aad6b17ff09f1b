/**
 * Long tasks in the real editor: the packaged .vsix in code-server, a real-world document (130 KB:
 * markdown-it's README, the CommonMark spec's prose, highlight.js's README; test/fixtures) streamed by the
 * paced fake Ollama at 3,000 tokens/s, with a `longtask` observer in the webview's frame from before the
 * question to a second after the answer's last change (deferred work counted too). Answers alternate
 * between a quiet machine and one core busy (a child process spinning at normal priority, as a build
 * would), and between ours and the minimal extension of bench/editorFirstToken.ts (the same stream appended
 * to a <pre>), in the same code-server. What bench/render.ts cannot see: VS Code's own work in the same
 * renderer (the workbench, two iframes).
 *
 *   npm run package && node --import tsx bench/run.ts editorLongTasks
 *
 * A third side, the floor, is the minimal extension's page counting the same posts and drawing nothing: the
 * editor's own long tasks, which no page can go below.
 *
 * Each long task is logged with when it started (from the question) against when the answer was done, and whose
 * it was (the Long Tasks API's name).
 * BENCH_TRACE_FILE=/tmp/lt writes a Chromium trace of each busy-core answer (/tmp/lt.ours.2.json, ...) to find out
 * what they were, and logs the renderer's major GCs in each (bench/traceGc.ts). On 2026-12-06 they were V8
 * garbage collection (major GCs of the ~70-90 MB heap the webview shares with the workbench, 36-43 ms with a
 * core busy, landing in a frame) and the OS taking the core away; the heap grew 5 MB/s during an answer, 1 MB/s
 * once the page stopped flattening the whole text per update. The minimal extension's own long task was a 62 ms
 * layout of its 130 KB <pre>. On 2026-12-07 the page's long tasks were its update tasks (a few ms of CPU)
 * stretched while V8 marked ahead of a major GC, or waiting for a core just after one (bench/HISTORY.md).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeServer } from '../test/e2e/codeServer';
import { PacedOllama, tokenize, type PaceSpec } from '../test/fakes/pacedOllama';
import { realWorldDocument } from '../test/fixtures/markdownCorpus';
import { openView, packageMinimal, SIDES, type Which } from './editorFirstToken';
import { sleep } from './hosts';
import { cpuBetween, cpuSnapshot, HOG } from './processCpu';
import { majorGcs, type MajorGc } from './traceGc';
import type { Figure } from './report';
import { shareInterval } from './stats';

const RATE = 3_000;

/** Installs the observer. A string: tsx's name helper (`__name`) is not defined in VS Code's frames. */
const observeScript = `(() => {
  const w = window;
  w.__tasks = [];
  w.__t0 = performance.now();
  performance.mark('bench-question');
  w.__lastChange = performance.now();
  w.__draws = 0;
  if (!w.__observing) {
    w.__observing = true;
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__tasks.push({ ms: e.duration, at: e.startTime - w.__t0, culprit: e.name }); }).observe({ type: 'longtask' });
    new MutationObserver(() => { w.__lastChange = performance.now(); w.__draws++; }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }
})()`;

/**
 * `floor`: the minimal extension's view, asked a question that starts with "(floor)": the same stream and posts,
 * and a page that only counts the text it receives. Its long tasks are the editor's own (the workbench relaying
 * the posts, its own frames) and the machine's: what no page can go below.
 */
export type LongTaskSide = Which | 'floor';

export interface EditorLongTaskRun {
  which: LongTaskSide;
  busyCore: boolean;
  /** The machine's 1-minute load average when the answer started: "quiet" is only the absence of our hog. */
  load: number;
  tasks: number[];
  /**
   * Whose each long task was, as the Long Tasks API names it from the page's frame: 'self' (the page's own
   * script ran in it), 'same-origin-ancestor' (the workbench's: code-server serves webviews from its own origin), 'multiple-contexts', or 'unknown' (no script:
   * the frame's rendering, garbage collection).
   */
  culprits: string[];
  /** When each long task started, in ms from the question (the answer is done at doneAtMs). */
  taskStarts: number[];
  doneAtMs: number;
  answerMs: number;
  /** The tasks that changed the page from the question to the end (a drawn update each, mostly). */
  draws: number;
  /** CPU ms each part of the machine used from the question to the end (bench/processCpu.ts). */
  cpu: Record<string, number>;
  /** With BENCH_TRACE_FILE: the renderer's major GCs from the question on (bench/traceGc.ts). */
  majorGcs?: MajorGc[];
}

/**
 * BENCH_LONG_TASK_COLLECT=1: each answer starts from a collected heap. Every answer opens a view and so closes
 * the one before it, whose documents a later collection frees (50-280 MB) in whichever side's answer comes next.
 * Collected first, that carry-over is gone, but not the collections: V8 then sets the next limit close above
 * the live heap (~116 MB in code-server, the next collection ~9 MB later), so one lands 2.5-4 s into every
 * answer of every page that draws (bench/HISTORY.md, 7 December, evening). Off by default: neither regime is a
 * user's, and the runs on record were made without it.
 */
const COLLECT_FIRST = process.env.BENCH_LONG_TASK_COLLECT === '1';
/**
 * For a diagnosis, not a result: BENCH_LONG_TASK_SIDES=ours and BENCH_LONG_TASK_KINDS=busy run only those answers
 * (the figures of the sides left out are then empty).
 */
const ONLY_SIDES = process.env.BENCH_LONG_TASK_SIDES?.split(',');
const ONLY_KINDS = process.env.BENCH_LONG_TASK_KINDS?.split(',');

/** A full collection of the renderer that holds the workbench and, same-origin in code-server, the webviews. */
async function collectGarbage(vscode: CodeServer): Promise<void> {
  const cdp = await vscode.page.context().newCDPSession(vscode.page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
  } finally {
    await cdp.detach();
  }
}

function withHog<T>(busy: boolean, fn: () => Promise<T>): Promise<T> {
  if (!busy) return fn();
  const hog = spawn(process.execPath, ['-e', HOG], { stdio: 'ignore' });
  return fn().finally(() => hog.kill());
}

/** One answer in `which`'s view, from the question to a second after the page last changed. */
async function oneAnswer(vscode: CodeServer, which: LongTaskSide, busyCore: boolean, n: number): Promise<EditorLongTaskRun> {
  const side = SIDES[which === 'floor' ? 'minimal' : which];
  const frame = await openView(vscode, side);
  if (which === 'ours') {
    await frame.locator('.model-picker', { hasText: 'bench:latest' }).waitFor({ timeout: 30_000 });
    await vscode.runCommand('Model Chat: New chat');
    await frame.locator('article').first().waitFor({ state: 'detached' });
  }
  const index = await frame.locator(side.done.container).count();
  if (COLLECT_FIRST) await collectGarbage(vscode);
  await sleep(1_000);
  // BENCH_TRACE_FILE: a Chromium trace of the busy-core answers (all frames), to attribute the long tasks.
  const browser = (vscode as unknown as { browser?: import('playwright-core').Browser }).browser;
  const tracing = process.env.BENCH_TRACE_FILE && busyCore && browser;
  const tracePath = `${process.env.BENCH_TRACE_FILE}.${which}.${n}.json`;
  if (tracing)
    await browser.startTracing(undefined, {
      path: tracePath,
      categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'disabled-by-default-v8.gc', 'blink.user_timing'],
    });
  const run = await withHog(busyCore, async () => {
    await frame.evaluate(observeScript);
    const cpuBefore = cpuSnapshot();
    const started = Date.now();
    const load = loadavg()[0];
    const input = frame.locator(side.input);
    await input.fill(`${which === 'floor' ? '(floor) ' : ''}Question ${n}`);
    await input.press('Enter');
    // Functions, not strings: a string is eval'd in the page, which the webviews' CSP forbids.
    await frame.waitForFunction(
      ({ container, key, value, index }) =>
        (document.querySelectorAll(container)[index] as HTMLElement | undefined)?.dataset[key] === value,
      { ...side.done, index },
      { timeout: 120_000, polling: 250 },
    );
    const answerMs = Date.now() - started;
    const doneAtMs = (await frame.evaluate('performance.now() - window.__t0')) as number;
    const draws = (await frame.evaluate('window.__draws')) as number;
    await frame.waitForFunction(() => performance.now() - (window as any).__lastChange > 1_000, undefined, {
      timeout: 60_000,
      polling: 250,
    });
    const cpu = cpuBetween(cpuBefore, cpuSnapshot());
    const tasks = (await frame.evaluate('window.__tasks')) as Array<{ ms: number; at: number; culprit: string }>;
    return {
      which,
      busyCore,
      load,
      tasks: tasks.map((t) => t.ms),
      culprits: tasks.map((t) => t.culprit),
      taskStarts: tasks.map((t) => t.at),
      doneAtMs,
      answerMs,
      draws,
      cpu,
    };
  });
  if (!tracing) return run;
  await browser.stopTracing();
  return { ...run, majorGcs: majorGcs(tracePath, 'bench-question') };
}

function describeGc(gc: MajorGc): string {
  const documents = gc.documents ? `, documents ${gc.documents[0]} -> ${gc.documents[1]}` : '';
  return (
    `at ${gc.atS.toFixed(2)} s, ${gc.wallMs.toFixed(0)} ms (${gc.cpuMs.toFixed(0)} ms CPU), ${gc.reason}, ` +
    `heap ${gc.beforeMb.toFixed(0)} -> ${gc.afterMb.toFixed(0)} MB${documents}`
  );
}

export async function benchEditorLongTasks(
  opts: { answers: number },
  log: (s: string) => void,
): Promise<{ figures: Figure[]; section: unknown }> {
  const tokens = tokenize(realWorldDocument()).length;
  const spec: PaceSpec = { tokens, rate: RATE, firstDelayMs: 30, kind: 'realWorld' };
  const dir = mkdtempSync(join(tmpdir(), 'model-chat-bench-longtasks-'));
  const server = new PacedOllama();
  server.specFor = () => spec;
  await server.start();
  const vscode = new CodeServer();
  const runs: EditorLongTaskRun[] = [];
  try {
    await vscode.start(
      {
        'modelChat.endpoints': [{ name: 'Bench', type: 'ollama', url: server.url }],
        'minimalChat.url': server.url,
        'minimalChat.model': 'bench:latest',
      },
      {},
      { alsoInstall: [packageMinimal(dir)] },
    );
    // Ours quiet, ours busy, minimal quiet, minimal busy, floor quiet, floor busy, then in another order: the
    // workbench's heap grows over the run, and no side should always come after another.
    const orders: LongTaskSide[][] = [
      ['ours', 'minimal', 'floor'],
      ['floor', 'minimal', 'ours'],
      ['minimal', 'ours', 'floor'],
      ['floor', 'ours', 'minimal'],
    ];
    const order: LongTaskSide[] = [];
    for (let i = 0; i < opts.answers; i++) order.push(...orders[i % orders.length]);
    log(`  each answer from ${COLLECT_FIRST ? 'a collected heap' : 'the heap as the answer before left it'}`);
    let n = 0;
    for (const which of order) {
      if (ONLY_SIDES && !ONLY_SIDES.includes(which)) continue;
      for (const busyCore of [false, true]) {
        if (ONLY_KINDS && !ONLY_KINDS.includes(busyCore ? 'busy' : 'quiet')) continue;
        const run = await oneAnswer(vscode, which, busyCore, ++n);
        runs.push(run);
        log(
          `  answer ${n} (${which}, ${busyCore ? 'one core busy' : 'quiet'}): ${run.tasks.length} tasks over 50 ms` +
            (run.tasks.length
              ? ` (${run.tasks.map((t, k) => `${t.toFixed(0)} ms at ${(run.taskStarts[k] / 1000).toFixed(2)} s, ${run.culprits[k]}`).join('; ')}; done at ${(run.doneAtMs / 1000).toFixed(2)} s)`
              : '') +
            `, answer in ${(run.answerMs / 1000).toFixed(1)} s, ${run.draws} page changes, load average ${run.load.toFixed(1)}` +
            `; CPU s: ${Object.entries(run.cpu)
              .map(([part, ms]) => `${part} ${(ms / 1000).toFixed(2)}`)
              .join(', ')}` +
            (run.majorGcs ? `; major GCs: ${run.majorGcs.map(describeGc).join('; ') || 'none'}` : ''),
        );
      }
    }
  } finally {
    await vscode.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const count = (which: LongTaskSide, busy: boolean) =>
    runs.filter((r) => r.which === which && r.busyCore === busy).map((r) => r.tasks.length);
  // In how many answers each side had a long task, and how sure that is: one run's counts vary a lot.
  const shares = (['ours', 'minimal', 'floor'] as const).flatMap((which) =>
    [false, true].map((busy) => {
      const counts = count(which, busy);
      const hit = counts.filter((c) => c > 0).length;
      const { low, high } = shareInterval(hit, counts.length);
      const line = `${which}, ${busy ? 'one core busy' : 'quiet'}: ${hit} of ${counts.length} answers`;
      return { which, busy, low, high, line: `${line} (95% interval ${(low * 100).toFixed(0)}-${(high * 100).toFixed(0)}%)` };
    }),
  );
  log(`answers with a long task:\n${shares.map((s) => `  ${s.line}`).join('\n')}`);
  const figure = (busy: boolean): Figure => ({
    measure: `Long tasks (> 50 ms) in the editor at 3,000 tokens/s, ${busy ? 'one core busy' : 'quiet'}`,
    unit: 'tasks',
    digits: 0,
    ours: count('ours', busy),
    naive: count('minimal', busy),
    better: 'lower',
    target: { label: '0', met: count('ours', busy).every((n) => n === 0) },
  });
  // The floor is no one's result: shown next to ours, so "zero" can be read against what the editor alone costs.
  const floor = (busy: boolean): Figure => ({
    measure: `Long tasks (> 50 ms) in the editor at 3,000 tokens/s, ${busy ? 'one core busy' : 'quiet'}: the editor alone (a page that draws nothing)`,
    unit: 'tasks',
    digits: 0,
    ours: count('floor', busy),
    better: 'lower',
    chart: false,
  });
  return {
    figures: [figure(false), figure(true), floor(false), floor(true)],
    section: { spec, collectedFirst: COLLECT_FIRST, runs, shares },
  };
}
