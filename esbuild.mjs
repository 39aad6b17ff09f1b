// The extension for VS Code's Node host (with the MCP client and the engine's worker apart), the webview page for the browser.
// `node esbuild.mjs` builds for development (sourcemaps); `--production` minifies for the .vsix; `--watch` rebuilds.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { mcpClientApart, noFetchPolyfill } from './scripts/esbuildPlugins.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const common = { bundle: true, minify: production, sourcemap: production ? false : 'linked', logLevel: 'info', legalComments: 'none' };

const builds = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // node-llama-cpp runs only in the engine's worker (below); external here too, so it never lands in this bundle.
    external: ['vscode', 'node-llama-cpp'],
    plugins: [noFetchPolyfill, mcpClientApart],
  },
  // The MCP client, loaded on first use (scripts/esbuildPlugins.mjs says why it is apart).
  {
    ...common,
    entryPoints: ['src/tools/mcp/mcpClientBundle.ts'],
    outfile: 'dist/mcpClient.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  // The built-in engine's worker thread. node-llama-cpp stays outside the bundle (ES module with native binaries,
  // shipped in node_modules by the platform .vsix only); esbuild keeps its `import()` as a real dynamic import.
  {
    ...common,
    entryPoints: ['src/streaming/providers/embedded/engineWorker.ts'],
    outfile: 'dist/engineWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['node-llama-cpp'],
  },
  { ...common, entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
  // Loaded by the page on the first closed code block, not at start (highlighter.ts).
  {
    ...common,
    entryPoints: ['src/webview/markdown/highlightBundle.ts'],
    outfile: 'dist/highlight.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

mkdirSync('dist/codicons', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) cpSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/codicons/${f}`);

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
