/**
 * The webview page built with one of its modules swapped for a baseline, so the shipped bundle carries no
 * benchmark switch. Built like `node esbuild.mjs` builds dist/webview.js (unminified), in memory; the
 * harness serves it in its place (`WebviewHarness.start({ webviewJs })`).
 */
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = join(__dirname, '..', '..');

interface Swap {
  module: string;
  contents: string;
}

const BASELINES = {
  /**
   * bench/render.ts: the whole answer re-rendered per update instead of the incremental view, each update drawn
   * as it arrives.
   */
  fullRender: [
    {
      module: 'src/webview/markdown/incrementalView.ts',
      contents: `export { FullRenderMarkdownView as IncrementalMarkdownView } from './fullRenderView';`,
    },
    {
      module: 'src/webview/messages/framePacer.ts',
      contents: `export { DrawAtOncePacer as FramePacer } from './drawAtOnce'; export type PacerClock = never;`,
    },
  ],
  /** bench/history.ts: `OlderMessages` with a batch of Infinity, so a conversation opens all at once. */
  allMessages: [
    {
      module: 'src/webview/messages/batchSize.ts',
      contents: `export { BATCH } from './allMessages';`,
    },
  ],
} satisfies Record<string, Swap[]>;

export type Baseline = keyof typeof BASELINES;

const built = new Map<Baseline, Promise<string>>();

/** The page's script with `baseline` in place of the module it replaces (built once per process). */
export function baselinePage(baseline: Baseline): Promise<string> {
  let page = built.get(baseline);
  if (!page) built.set(baseline, (page = buildPage(baseline)));
  return page;
}

async function buildPage(baseline: Baseline): Promise<string> {
  const swaps: Swap[] = BASELINES[baseline];
  const swapped = new Set<string>();
  const plugins: Plugin[] = swaps.map(({ module, contents }) => {
    const target = join(root, module);
    return {
      name: `baseline-${baseline}-${module}`,
      setup(b) {
        b.onLoad({ filter: new RegExp(`^${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) }, () => {
          swapped.add(module);
          return { contents, loader: 'ts', resolveDir: __dirname };
        });
      },
    };
  });
  const result = await build({
    entryPoints: [join(root, 'src/webview/main.ts')],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'warning',
    plugins,
  });
  // A renamed module would otherwise leave the baseline silently identical to ours.
  for (const { module } of swaps)
    if (!swapped.has(module)) throw new Error(`The ${baseline} baseline replaces ${module}, which the page no longer loads`);
  return result.outputFiles[0].text;
}
