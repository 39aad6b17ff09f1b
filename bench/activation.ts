/**
 * What activation costs: loading the production extension bundle (what VS Code evaluates before
 * `activate` runs), ours against the naive way, where the openai and MCP SDKs are loaded at start too.
 * Each load is a fresh Node process with a stand-in for the `vscode` module (activation itself needs an
 * editor; the bundle's top level does not). Timed inside the process, around `require` only.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { median } from './hosts';
// @ts-expect-error: plain ES module without types, shared with esbuild.mjs
import { mcpClientApart, noFetchPolyfill } from '../scripts/esbuildPlugins.mjs';
import type { Figure } from './report';

const root = join(__dirname, '..');

/** Loads `bundle` in a fresh process and prints how long `require` took, in ms. */
const LOADER = `
const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === 'vscode' ? require.resolve('./vscode-stub.js') : resolve.call(this, request, ...rest); };
const t = process.hrtime.bigint();
require(process.argv[2]);
process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));
`;
const STUB = `const any = new Proxy(function () {}, { get: () => any, apply: () => any, construct: () => any });
module.exports = any;`;

export async function benchActivation(opts: { runs: number }, log: (s: string) => void): Promise<{ figures: Figure[]; section: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-activation-'));
  try {
    writeFileSync(join(dir, 'load.js'), LOADER);
    writeFileSync(join(dir, 'vscode-stub.js'), STUB);
    const common = {
      bundle: true,
      minify: true,
      platform: 'node' as const,
      format: 'cjs' as const,
      target: 'node20',
      external: ['vscode'],
      legalComments: 'none' as const,
      logLevel: 'silent' as const,
    };
    const ours = join(dir, 'ours.js');
    // As esbuild.mjs builds it: the MCP client in a file of its own, required on first use only.
    await build({
      ...common,
      entryPoints: [join(root, 'src/extension/extension.ts')],
      outfile: ours,
      plugins: [noFetchPolyfill, mcpClientApart],
    });
    // The naive baseline: the same extension, with both SDKs evaluated when it loads.
    const eagerEntry = join(dir, 'eager.ts');
    writeFileSync(
      eagerEntry,
      [
        `export * from ${JSON.stringify(join(root, 'src/extension/extension.ts'))};`,
        `import ${JSON.stringify(join(root, 'src/streaming/providers/openai/openaiProvider.ts'))};`,
        `import '@modelcontextprotocol/client';`,
        `import '@modelcontextprotocol/client/stdio';`,
      ].join('\n'),
    );
    const naive = join(dir, 'naive.js');
    await build({
      ...common,
      entryPoints: [eagerEntry],
      outfile: naive,
      nodePaths: [join(root, 'node_modules')],
      plugins: [noFetchPolyfill],
    });
    const load = (bundle: string) => Number(execFileSync(process.execPath, [join(dir, 'load.js'), bundle], { encoding: 'utf8' }));
    load(ours); // warm the disk cache
    const times = { ours: [] as number[], naive: [] as number[] };
    for (let i = 0; i < opts.runs; i++) {
      times.ours.push(load(ours));
      times.naive.push(load(naive));
    }
    log(
      `  activation: loading the bundle ${median(times.ours).toFixed(1)} ms (ours) vs ${median(times.naive).toFixed(1)} ms (SDKs at start)`,
    );
    const figures: Figure[] = [
      {
        measure: 'Activation: load the extension bundle (SDKs on first use vs at start)',
        chartLabel: 'Extension load at activation',
        unit: 'ms',
        digits: 1,
        ours: times.ours,
        naive: times.naive,
        better: 'lower',
      },
    ];
    return { figures, section: { runs: opts.runs, ...times } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
