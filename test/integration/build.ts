/**
 * Compiles the extension-host suite to plain CommonJS with esbuild: `suite/index.ts` bundled with mocha,
 * each `suite/*.test.ts` as its own bundle next to it, `vscode` left to the extension host.
 *
 * The output goes inside the repository (out/test/integration/, git-ignored, outside the .vsix) on
 * purpose: VS Code gives a file the extension's own `vscode` API object only when the file lies inside
 * the extension's folder, and the suite relies on sharing it (see suite/extension.test.ts).
 */
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');
export const suiteOutDir = join(repoRoot, 'out', 'test', 'integration');

export async function buildSuite(outdir = suiteOutDir): Promise<string> {
  const suiteDir = join(__dirname, 'suite');
  const tests = readdirSync(suiteDir)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(suiteDir, f));
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(suiteDir, 'index.ts'), ...tests],
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'warning',
    // mocha's `require(file)` of the test files, and its parallel mode's workers (unused), stay runtime requires.
    logOverride: { 'unsupported-require-call': 'silent', 'unsupported-dynamic-import': 'silent', 'require-resolve-not-external': 'silent' },
  });
  return join(outdir, 'index.js');
}

if (require.main === module) {
  buildSuite().then(
    (index) => console.log(`integration: suite built: ${index}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
