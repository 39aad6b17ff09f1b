// Two bundles: the extension for VS Code's Node host, the webview page for the browser.
// `node esbuild.mjs` builds for development (sourcemaps); `--production` minifies for the .vsix; `--watch` rebuilds.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
// ollama-js imports the whatwg-fetch polyfill for old browsers; the extension host has Node's own fetch,
// so the 10 KB polyfill is replaced by an empty module.
const noFetchPolyfill = {
  name: 'no-fetch-polyfill',
  setup(build) {
    build.onResolve({ filter: /^whatwg-fetch$/ }, () => ({ path: 'whatwg-fetch', namespace: 'empty' }));
    build.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: '' }));
  },
};
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
    plugins: [noFetchPolyfill],
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
