/**
 * Runs the mocha suite in test/integration/suite inside the extension host of a real (Electron) VS Code,
 * with Model Chat loaded from this repository (--extensionDevelopmentPath), against the Ollama-speaking
 * fake server (test/fakes/ollamaServer.ts) started here and named in the user settings VS Code starts with.
 *
 *   VSCODE_EXECUTABLE=/path/to/VSCode-linux-x64/code node --import tsx test/integration/run.ts
 *   node --import tsx test/integration/run.ts --list      # build the suite, list its tests, run none
 *
 * Without VSCODE_EXECUTABLE it runs nothing and says so: @vscode/test-electron would download VS Code from
 * Microsoft, which cannot work on the offline machines this repository is developed on. It exits 0 then,
 * and prints no count of tests, so nothing can read the skip as a pass.
 */
import { runTests } from '@vscode/test-electron';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import Module from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { buildSuite, repoRoot } from './build';
import { CONTROL_ENV, RESULTS_ENV } from './controlProtocol';
import { FakeWithControl } from './fakeControl';
import { createProfile, readResult, report } from './profile';

const SKIP_LINE =
  'integration: skipped: set VSCODE_EXECUTABLE to a VS Code (Electron) binary to run the extension-host suite (no VS Code can be downloaded here)';

async function main(): Promise<number> {
  if (process.argv.includes('--list')) return list();
  const given = process.env.VSCODE_EXECUTABLE;
  if (!given) {
    console.log(SKIP_LINE);
    return 0;
  }
  return runInVSCode(resolveExecutable(given));
}

/** Builds the suite and prints its test titles, loading it in plain Node with a stand-in `vscode` module. */
async function list(): Promise<number> {
  const index = await buildSuite();
  const stub = new Proxy({}, { get: (_t, key) => (key === '__esModule' ? false : key === 'version' ? 'stub' : undefined) });
  const loader = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
  const load = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? stub : load.call(this, request, ...rest);
  };
  const titles = (require(index) as typeof import('./suite/index')).listTests();
  console.log(`integration: the extension-host suite holds ${titles.length} tests (listed only, none run):`);
  for (const t of titles) console.log(`  - ${t}`);
  return titles.length > 0 ? 0 : 1;
}

async function runInVSCode(executable: string): Promise<number> {
  console.log('integration: building the extension (node esbuild.mjs) and the suite');
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  const extensionTestsPath = await buildSuite();

  const fake = new FakeWithControl();
  await fake.start();
  const profile = createProfile(fake);
  // Started from a VS Code terminal, this would make the Electron binary a plain Node.
  delete process.env.ELECTRON_RUN_AS_NODE;
  let code = 0;
  try {
    console.log(`integration: running the suite in ${executable} (fake Ollama at ${fake.fake.url})`);
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath,
      launchArgs: [
        profile.workspace,
        `--user-data-dir=${profile.userData}`,
        `--extensions-dir=${profile.extensionsDir}`,
        '--disable-extensions',
        '--disable-telemetry',
      ],
      extensionTestsEnv: { [CONTROL_ENV]: fake.controlUrl, [RESULTS_ENV]: profile.resultsFile },
    });
  } catch (err) {
    console.error(`integration: VS Code reported a failure: ${(err as Error).message}`);
    code = 1;
  } finally {
    await fake.stop();
  }
  code = Math.max(code, report(readResult(profile.resultsFile), `the extension host of ${executable}`, false));
  profile.cleanup();
  return code;
}

/**
 * The Electron binary itself: @vscode/test-electron spawns it directly. Accepts the `code` launcher script
 * (…/bin/code) or a macOS .app too, and finds the binary they start.
 */
function resolveExecutable(given: string): string {
  const path = resolve(given);
  if (!existsSync(path)) throw new Error(`VSCODE_EXECUTABLE=${given}: no such file`);
  const candidates: string[] = [];
  if (statSync(path).isDirectory()) {
    if (!path.endsWith('.app'))
      throw new Error(`VSCODE_EXECUTABLE=${given} is a folder; give VS Code's binary (e.g. VSCode-linux-x64/code)`);
    candidates.push(join(path, 'Contents', 'MacOS', 'Electron'), join(path, 'Contents', 'MacOS', 'Code'));
  } else if (isScript(path)) {
    // Linux: /usr/share/code/bin/code -> /usr/share/code/code; Windows: …\bin\code.cmd -> …\Code.exe;
    // macOS: ….app/Contents/Resources/app/bin/code -> ….app/Contents/MacOS/Electron.
    const root = dirname(dirname(path));
    candidates.push(
      join(root, basename(path).replace(/\.(cmd|sh)$/, '')),
      join(root, 'Code.exe'),
      join(root, '..', '..', 'MacOS', 'Electron'),
    );
  } else {
    return path;
  }
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile() && !isScript(c));
  if (found) {
    console.log(`integration: using ${found} (the binary ${given} starts)`);
    return found;
  }
  if (!isScript(path))
    throw new Error(
      `VSCODE_EXECUTABLE=${given} is not VS Code's Electron binary, and none was found in it (looked for ${candidates.join(', ')})`,
    );
  // A launcher we do not know: try it as it is. If it detaches instead of running the tests, the suite
  // writes no result and the run fails rather than passing.
  console.log(`integration: ${given} looks like a launcher script and no VS Code binary was found next to it; using it as it is`);
  return path;
}

function isScript(path: string): boolean {
  if (/\.(cmd|bat|sh)$/i.test(path)) return true;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    return head.toString('latin1') === '#!';
  } finally {
    closeSync(fd);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`integration: error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
