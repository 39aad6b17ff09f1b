/**
 * All benchmarks in one go (`npm run bench`): ours and the naive approach in the same run for each figure,
 * one table on stdout, sections in bench/results.json, and bench/chart.svg for the README.
 *
 *   node --import tsx bench/run.ts                 everything, about 6 minutes on 2 cores
 *   BENCH_QUICK=1 node --import tsx bench/run.ts   fewer runs, shorter streams: about 2 minutes
 *   node --import tsx bench/run.ts traffic stop    only some figures (traffic, firstToken, stop, tools,
 *                                                  hostCpu, throughput, render, history, activation,
 *                                                  editorFirstToken, editorLongTasks: need `npm run package`); bench/chart.svg
 *                                                  is only rewritten by a full run
 * BENCH_TOKENS is passed on to bench/render.ts. Timings are printed, never asserted: the machine is shared.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchActivation } from './activation';
import { benchEditorFirstToken } from './editorFirstToken';
import { benchEditorLongTasks } from './editorLongTasks';
import { benchFirstToken } from './firstToken';
import { benchHistory } from './history';
import { benchHostCpu } from './hostCpu';
import { median, startServerChild, type ServerChild } from './hosts';
import { chartSvg, type Figure, tableRows } from './report';
import { saveSection, resultsFile, table } from './stats';
import { benchStop } from './stop';
import { benchThroughput } from './throughput';
import { benchTools } from './tools';
import { benchTraffic } from './traffic';

const QUICK = process.env.BENCH_QUICK === '1';
const ALL = [
  'traffic',
  'hostCpu',
  'throughput',
  'firstToken',
  'editorFirstToken',
  'editorLongTasks',
  'stop',
  'tools',
  'render',
  'history',
  'activation',
] as const;
type Name = (typeof ALL)[number];
const only = process.argv.slice(2);
for (const name of only) {
  if (!ALL.includes(name as Name)) {
    console.error(`Unknown benchmark "${name}"; the names are: ${ALL.join(', ')}`);
    process.exit(2);
  }
}
const selected = (name: Name) => only.length === 0 || only.includes(name);

const settings = {
  quick: QUICK,
  traffic: QUICK ? { runs: 2, tokens: 5_000, rate: 1_000 } : { runs: 3, tokens: 20_000, rate: 1_000 },
  hostCpu: QUICK ? { rate: 100, seconds: 10, windowMs: 2_000 } : { rate: 100, seconds: 60, windowMs: 10_000 },
  throughput: QUICK ? { runs: 1, seconds: 1 } : { runs: 3, seconds: 2 },
  firstToken: { runs: QUICK ? 3 : 7 },
  // Windows of each extension (code-server reloads between them), and answers in each, the first included.
  editorFirstToken: { windows: QUICK ? 2 : 10, answers: 4 },
  // BENCH_LONG_TASK_ANSWERS: more answers a side and kind. Four busy answers cannot tell 0 of 4 from 2 of 4.
  editorLongTasks: { answers: Number(process.env.BENCH_LONG_TASK_ANSWERS ?? (QUICK ? 1 : 4)) },
  stop: { runs: QUICK ? 3 : 5 },
  tools: { runs: QUICK ? 3 : 5 },
  history: { runs: QUICK ? 3 : 5 },
  activation: { runs: QUICK ? 5 : 15 },
  // 12k when quick: at exactly 10k render.ts's 10k mark and its last mark would be the same.
  renderTokens: process.env.BENCH_TOKENS ?? (QUICK ? '12000' : '50000'),
};

const started = performance.now();
const log = (s: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}`);

async function section<T extends { figures: Figure[]; section: unknown }>(
  name: string,
  figures: Figure[],
  run: () => Promise<T>,
): Promise<void> {
  const t = performance.now();
  try {
    const result = await run();
    saveSection(name, result.section);
    figures.push(...result.figures);
    log(`${name} done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  } catch (err) {
    log(`${name} FAILED: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  }
}

function runRender(): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'render.ts')], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_TOKENS: settings.renderTokens },
    });
    child.on('exit', (code) => resolve(code));
  });
}

/** Figures 6 and the render cost, from the section bench/render.ts wrote. */
function renderFigures(): Figure[] {
  const render = JSON.parse(readFileSync(resultsFile, 'utf8')).render;
  if (!render) return [];
  const marks = Object.keys(render.incremental.at)
    .map(Number)
    .sort((a, b) => a - b);
  const last = String(marks.at(-1));
  const inc = render.incremental;
  const naive = render.naive;
  return [
    {
      measure: 'Webview heap growth after 10k tokens (one run each)',
      chartLabel: 'Webview heap after 10k tokens',
      unit: 'MB',
      digits: 2,
      ours: [inc.heapAfter10kMB - inc.heapBeforeMB],
      naive: [naive.heapAfter10kMB - naive.heapBeforeMB],
      better: 'lower',
      target: { label: '< 20 MB', met: inc.heapAfter10kMB - inc.heapBeforeMB < 20 },
    },
    {
      measure: `Webview time per update at ${Number(last) / 1000}k tokens, p95 (one run each)`,
      chartLabel: `Webview time per update (p95, ${Number(last) / 1000}k tokens)`,
      unit: 'ms',
      digits: 2,
      ours: [inc.at[last].p95],
      naive: [naive.at[last].p95],
      better: 'lower',
      target: { label: '< 4 ms', met: inc.at[last].p95 < 4 },
    },
    ...allocationFigure(render.realWorld?.allocation),
    ...garbageFigure(render.realWorld?.garbage),
  ];
}

/** What an answer leaves to collect in the renderer's heaps (bench/heapGarbage.ts). */
function garbageFigure(garbage: Record<'incremental' | 'naive' | 'appended', { garbageMB: number }> | undefined): Figure[] {
  if (!garbage) return [];
  const bound = garbage.appended.garbageMB;
  return [
    {
      measure: `Webview garbage (V8 + Blink) of one answer of the 130 KB document; a page appending the final blocks: ${bound.toFixed(1)} MB (one run each)`,
      chartLabel: 'Garbage of a 130 KB answer',
      unit: 'MB',
      digits: 1,
      ours: [garbage.incremental.garbageMB],
      naive: [garbage.naive.garbageMB],
      better: 'lower',
      target: { label: '<= 1.5× appended', met: garbage.incremental.garbageMB <= 1.5 * bound },
    },
  ];
}

/** Whether allocation per update stays flat as the real-world answer grows (bench/render.ts allocationRun). */
function allocationFigure(
  allocation: Record<'incremental' | 'naive', { firstKBPerUpdate: number; secondKBPerUpdate: number }> | undefined,
): Figure[] {
  if (!allocation) return [];
  const growth = (a: { firstKBPerUpdate: number; secondKBPerUpdate: number }) => a.secondKBPerUpdate / a.firstKBPerUpdate;
  return [
    {
      measure: 'Webview JS allocated per update, a 130 KB document streamed twice in one answer: second copy ÷ first (one run each)',
      chartLabel: 'Allocation per update, second copy ÷ first',
      unit: '×',
      digits: 2,
      ours: [growth(allocation.incremental)],
      naive: [growth(allocation.naive)],
      better: 'lower',
      target: { label: '<= 1.5×', met: growth(allocation.incremental) <= 1.5 },
    },
  ];
}

async function main(): Promise<void> {
  log(
    `Benchmarks${QUICK ? ' (BENCH_QUICK=1)' : ''}: ${cpus().length} cores, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (!existsSync(join(__dirname, '..', 'dist', 'webview.js')))
    throw new Error('dist/webview.js is missing: run `node esbuild.mjs` first (npm run bench does)');
  const figures: Figure[] = [];
  saveSection('settings', settings);

  if (selected('traffic') || selected('hostCpu') || selected('throughput')) {
    const server: ServerChild = await startServerChild();
    try {
      // Figures 1 and 5 run side by side to save a minute: 5 measures CPU time in processes of its own,
      // 1 counts messages and bytes; neither depends on the other's timing.
      const side: Figure[] = [];
      await Promise.all([
        selected('hostCpu') && section('hostCpu', side, () => benchHostCpu(server, settings.hostCpu, log)),
        selected('traffic') && section('traffic', figures, () => benchTraffic(server, settings.traffic, log)),
      ]);
      figures.push(...side);
      if (selected('throughput')) await section('throughput', figures, () => benchThroughput(server, settings.throughput, log));
    } finally {
      await server.stop();
    }
  }
  if (selected('firstToken')) await section('firstToken', figures, () => benchFirstToken(settings.firstToken, log));
  if (selected('editorFirstToken')) await section('editorFirstToken', figures, () => benchEditorFirstToken(settings.editorFirstToken, log));
  if (selected('editorLongTasks')) await section('editorLongTasks', figures, () => benchEditorLongTasks(settings.editorLongTasks, log));
  if (selected('stop')) await section('stop', figures, () => benchStop(settings.stop, log));
  if (selected('tools')) await section('tools', figures, () => benchTools(settings.tools, log));
  if (selected('render')) {
    log(`render (bench/render.ts, ${settings.renderTokens} tokens)…`);
    const code = await runRender();
    if (code !== 0) {
      log(`render FAILED with exit code ${code}`);
      process.exitCode = 1;
    } else figures.push(...renderFigures());
  }
  if (selected('history')) await section('history', figures, () => benchHistory(settings.history, log));
  if (selected('activation')) await section('activation', figures, () => benchActivation(settings.activation, log));

  // A fixed order for the table and chart, whatever ran.
  const order = [
    'Updates/s',
    'Bytes',
    'First token:',
    'First token in the editor',
    'Stop mid',
    'Stop during',
    'Stop a tool call -> notif',
    'Stop a tool call -> runTool',
    'Round',
    'Host CPU',
    'Host heap',
    'Webview heap',
    'Webview time',
    'History',
    'Activation',
    'Throughput',
  ];
  const rank = (f: Figure) => {
    const i = order.findIndex((p) => f.measure.startsWith(p));
    return i < 0 ? order.length : i;
  };
  figures.sort((a, b) => rank(a) - rank(b));
  const rows = tableRows(figures);
  const headers = ['measure', 'ours: median (min–max)', 'naive: median (min–max)', 'ratio (× better)', 'target', 'met?'];
  console.log('\n' + table(headers, rows));
  console.log('ratio: naive ÷ ours for lower-is-better figures, ours ÷ naive for the throughput ceiling; above 1× ours is better.');
  const seconds = (performance.now() - started) / 1000;
  console.log(`Total ${seconds.toFixed(0)} s.`);
  // A partial run updates its own sections only: the summary and the chart stay those of the last full run.
  if (only.length === 0) {
    saveSection('summary', { headers, rows, figures, totalSeconds: seconds });
    const subtitle = `${QUICK ? 'Quick pass (BENCH_QUICK=1), ' : ''}${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores; npm run bench`;
    const first = figures.find((f) => f.measure.startsWith('First token:'));
    const notes = first
      ? [
          `Not a ratio, so not drawn: the first token reaches the DOM ${(median(first.ours) - median(first.naive!)).toFixed(1)} ms after the provider alone would have it (target < 20 ms).`,
        ]
      : [];
    notes.push(
      'Beside each bar: ours vs naive (medians), both measured in the same run. What each bar means, and how to reproduce: bench/README.md.',
    );
    writeFileSync(join(__dirname, 'chart.svg'), chartSvg(figures, subtitle, notes));
    log('wrote bench/chart.svg and bench/results.json');
  } else {
    log('updated the sections that ran in bench/results.json');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
