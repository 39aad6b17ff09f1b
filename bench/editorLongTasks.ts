/**
 * Long tasks in the real editor: the packaged .vsix in code-server, a real-world document (130 KB:
 * markdown-it's README, the CommonMark spec's prose, highlight.js's README; test/fixtures) streamed by the
 * paced fake Ollama at 3,000 tokens/s, with a `longtask` observer in the webview's frame from before the
 * question to a second after the answer's last change (deferred work counted too). Answers alternate
 * between a quiet machine and one core busy (a child process spinning at normal priority, as a build
 * would). What bench/render.ts cannot see: VS Code's own work in the same renderer (the workbench, two iframes).
 *
 *   npm run package && node --import tsx bench/run.ts editorLongTasks
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { CodeServer } from '../test/e2e/codeServer';
import { PacedOllama, tokenize, type PaceSpec } from '../test/fakes/pacedOllama';
import { realWorldDocument } from '../test/fixtures/markdownCorpus';
import { sleep } from './hosts';
import type { Figure } from './report';

const RATE = 3_000;

/** Installs the observer. A string: tsx's name helper (`__name`) is not defined in VS Code's frames. */
const observeScript = `(() => {
  const w = window;
  w.__tasks = [];
  w.__lastChange = performance.now();
  if (!w.__observing) {
    w.__observing = true;
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__tasks.push(e.duration); }).observe({ type: 'longtask' });
    new MutationObserver(() => { w.__lastChange = performance.now(); }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }
})()`;

export interface EditorLongTaskRun {
  busyCore: boolean;
  /** The machine's 1-minute load average when the answer started: "quiet" is only the absence of our hog. */
  load: number;
  tasks: number[];
  answerMs: number;
}

function withHog<T>(busy: boolean, fn: () => Promise<T>): Promise<T> {
  if (!busy) return fn();
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  return fn().finally(() => hog.kill());
}

export async function benchEditorLongTasks(
  opts: { answers: number },
  log: (s: string) => void,
): Promise<{ figures: Figure[]; section: unknown }> {
  const tokens = tokenize(realWorldDocument()).length;
  const spec: PaceSpec = { tokens, rate: RATE, firstDelayMs: 30, kind: 'realWorld' };
  const server = new PacedOllama();
  server.specFor = () => spec;
  await server.start();
  const vscode = new CodeServer();
  const runs: EditorLongTaskRun[] = [];
  try {
    await vscode.start({ 'modelChat.endpoints': [{ name: 'Bench', type: 'ollama', url: server.url }] });
    const frame = await vscode.openChat();
    await frame.locator('.model-picker', { hasText: 'bench:latest' }).waitFor({ timeout: 30_000 });
    for (let i = 0; i < opts.answers * 2; i++) {
      const busyCore = i % 2 === 1;
      await vscode.runCommand('Model Chat: New chat');
      await frame.locator('article').first().waitFor({ state: 'detached' });
      await sleep(1_000);
      const run = await withHog(busyCore, async () => {
        await frame.evaluate(observeScript);
        const started = Date.now();
        const load = loadavg()[0];
        const input = frame.locator('textarea[aria-label="Message"]');
        await input.fill(`Question ${i + 1}`);
        await input.press('Enter');
        // Functions, not strings: a string is eval'd in the page, which the webviews' CSP forbids.
        await frame.waitForFunction(
          () => document.querySelector('article[data-role="assistant"]')?.getAttribute('data-state') === 'done',
          undefined,
          {
            timeout: 120_000,
            polling: 250,
          },
        );
        const answerMs = Date.now() - started;
        await frame.waitForFunction(() => performance.now() - (window as any).__lastChange > 1_000, undefined, {
          timeout: 60_000,
          polling: 250,
        });
        return { busyCore, load, tasks: (await frame.evaluate('window.__tasks')) as number[], answerMs };
      });
      runs.push(run);
      log(
        `  answer ${i + 1} (${busyCore ? 'one core busy' : 'quiet'}): ${run.tasks.length} tasks over 50 ms` +
          (run.tasks.length ? ` (${run.tasks.map((t) => t.toFixed(0)).join(', ')} ms)` : '') +
          `, answer in ${(run.answerMs / 1000).toFixed(1)} s, load average ${run.load.toFixed(1)}`,
      );
    }
  } finally {
    await vscode.stop();
    await server.stop();
  }
  const count = (busy: boolean) => runs.filter((r) => r.busyCore === busy).map((r) => r.tasks.length);
  const figure = (busy: boolean): Figure => ({
    measure: `Long tasks (> 50 ms) in the editor at 3,000 tokens/s, ${busy ? 'one core busy' : 'quiet'}`,
    unit: 'tasks',
    digits: 0,
    ours: count(busy),
    better: 'lower',
    target: { label: '0', met: count(busy).every((n) => n === 0) },
  });
  return { figures: [figure(false), figure(true)], section: { spec, runs } };
}
