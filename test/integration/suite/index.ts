/**
 * The entry VS Code's extension host loads (`--extensionTestsPath`): runs every `*.test.js` next to it
 * with mocha and rejects when a test fails, which makes VS Code exit non-zero.
 *
 * esbuild bundles this file with mocha into plain CommonJS (test/integration/build.ts), so the extension
 * host needs neither tsx nor mocha's ES modules. The test files are separate bundles in the same folder.
 */
import Mocha from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_ENV, type SuiteResult } from '../controlProtocol';

export function createMocha(): Mocha {
  // MODEL_CHAT_INTEGRATION_GREP runs only the tests whose title matches (one part while working on it).
  const grep = process.env.MODEL_CHAT_INTEGRATION_GREP;
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: true, timeout: 30_000, slow: 3_000, ...(grep ? { grep } : {}) });
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  if (!files.length) throw new Error(`No *.test.js files in ${__dirname}: was the suite built (test/integration/build.ts)?`);
  for (const f of files) mocha.addFile(join(__dirname, f));
  return mocha;
}

export async function run(): Promise<void> {
  const mocha = createMocha();
  const tests: SuiteResult['tests'] = [];
  const runner = await new Promise<Mocha.Runner>((resolve) => {
    const r: Mocha.Runner = mocha.run(() => resolve(r));
    r.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', ms: t.duration }));
    r.on('fail', (t, err: Error) => tests.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err).slice(0, 4000) }));
    r.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
  });
  const count = (state: string) => tests.filter((t) => t.state === state).length;
  const stats = runner.stats ?? { passes: count('passed'), failures: count('failed'), pending: count('pending') };
  const result: SuiteResult = { passes: stats.passes, failures: stats.failures, pending: stats.pending, tests, ...(await host()) };
  const out = process.env[RESULTS_ENV];
  if (out) writeFileSync(out, JSON.stringify(result, null, 2));
  if (result.failures > 0) throw new Error(`${result.failures} integration test(s) failed`);
  if (result.passes === 0) throw new Error('No integration test ran');
}

/** The titles of every test, without running any (the runner's --list, in plain Node with a stub vscode). */
export function listTests(): string[] {
  const mocha = createMocha();
  (mocha as unknown as { loadFiles(): void }).loadFiles(); // public in mocha, protected in @types/mocha
  const titles: string[] = [];
  const walk = (suite: Mocha.Suite) => {
    for (const t of suite.tests) titles.push(t.fullTitle());
    for (const s of suite.suites) walk(s);
  };
  walk(mocha.suite);
  return titles;
}

async function host(): Promise<{ vscodeVersion: string; appHost: string }> {
  try {
    const vscode = await import('vscode');
    return { vscodeVersion: vscode.version ?? 'unknown', appHost: vscode.env?.appHost ?? 'unknown' };
  } catch {
    return { vscodeVersion: 'unknown', appHost: 'unknown' };
  }
}
