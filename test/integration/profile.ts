/**
 * What both runners give the VS Code they start: a fresh user-data folder whose user settings point
 * Model Chat at the fake Ollama, an empty extensions folder, a small workspace, and where the suite
 * writes its result. Also how a result is read and reported.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROL_SETTING, type SuiteResult } from './controlProtocol';
import type { FakeWithControl } from './fakeControl';

export interface Profile {
  dir: string;
  userData: string;
  extensionsDir: string;
  workspace: string;
  resultsFile: string;
  /** Removes the folder, unless KEEP_INTEGRATION_DIR is set (then says where it is). */
  cleanup(): void;
}

export function createProfile(fake: FakeWithControl): Profile {
  const dir = mkdtempSync(join(tmpdir(), 'model-chat-integration-'));
  const profile: Profile = {
    dir,
    userData: join(dir, 'user-data'),
    extensionsDir: join(dir, 'extensions'),
    workspace: join(dir, 'workspace'),
    resultsFile: join(dir, 'results.json'),
    cleanup: () => {
      if (process.env.KEEP_INTEGRATION_DIR) console.log(`integration: kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const d of [join(profile.userData, 'User'), profile.extensionsDir, profile.workspace]) mkdirSync(d, { recursive: true });
  writeFileSync(join(profile.workspace, 'sample.py'), 'def add(a, b):\n    return a + b\n');
  const settings = {
    'modelChat.endpoints': [{ name: 'Fake Ollama', type: 'ollama', url: fake.fake.url }],
    [CONTROL_SETTING]: fake.controlUrl,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.disableAIFeatures': true,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'window.restoreWindows': 'none',
    'security.workspace.trust.enabled': false,
  };
  writeFileSync(join(profile.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  return profile;
}

export function readResult(resultsFile: string): SuiteResult | undefined {
  return existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as SuiteResult) : undefined;
}

/**
 * Prints the outcome and returns the exit code: 0 only when the suite wrote a result, at least one test
 * passed and none failed. `everyTest` prints each test (when VS Code's own output did not show them).
 */
export function report(result: SuiteResult | undefined, where: string, everyTest: boolean): number {
  if (!result) {
    console.error(`integration: FAILED: the suite wrote no result: ${where} did not load it or did not finish it`);
    return 1;
  }
  if (everyTest) {
    for (const t of result.tests) {
      const mark = t.state === 'passed' ? 'ok  ' : t.state === 'failed' ? 'FAIL' : 'skip';
      console.log(`  ${mark} ${t.title}${t.ms !== undefined ? ` (${t.ms} ms)` : ''}`);
    }
  }
  for (const t of result.tests.filter((x) => x.state === 'failed'))
    console.log(`integration: failed: ${t.title}\n${indent(t.error ?? '')}`);
  console.log(
    `integration: ${where}, VS Code ${result.vscodeVersion} (${result.appHost}): ${result.passes} passing, ${result.failures} failing, ${result.pending} pending`,
  );
  return result.failures > 0 || result.passes === 0 ? 1 : 0;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}
