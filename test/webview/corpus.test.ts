/**
 * Every Markdown file the project's own node_modules ships (READMEs, changelogs, docs: hundreds of real
 * documents nobody here wrote), streamed in seeded random chunk sizes. Two halves, for speed:
 *
 * - in Node, the renderer the page runs (IncrementalMarkdown): at sampled steps of every document, what it
 *   committed plus markdown-it's render of its tail equals markdown-it's render of the prefix so far, so
 *   the committed blocks are exactly that render's first blocks; and its final render equals markdown-it's;
 * - in headless Chromium, the real webview bundle fed through the real message path: the final DOM of each
 *   document equals markdown-it's render with the product's options (createMarkdown).
 *
 * Checking a step is O(document), quadratic over a long changelog: each document is checked at up to
 * STEP_SAMPLES steps, evenly spaced, plus each of its first SMALL_STEPS (where the first blocks are cut in
 * every way), and at the last step. Chunks are 1 to 256 characters (1,024 in the browser), log-uniform; on
 * long documents larger (maxChunk). A failure names the document, its seed and the step, to replay it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IncrementalMarkdown, type RenderUpdate } from '../../src/webview/markdown/incrementalRenderer';
import { createMarkdown } from '../../src/webview/markdown/markdown';
import { WebviewHarness } from './harness';

const root = join(__dirname, '..', '..');
const MAX_BYTES = 1024 * 1024;
const STEP_SAMPLES = 30;
const SMALL_STEPS = 20;

interface Doc {
  name: string;
  text: string;
  seed: number;
}

/** Every `*.md` under node_modules, one per content, in a stable order; the excluded ones with a reason. */
function corpus(): { docs: Doc[]; excluded: Array<{ name: string; reason: string }> } {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.toLowerCase().endsWith('.md')) files.push(path);
    }
  };
  walk(join(root, 'node_modules'));
  files.sort();
  const seen = new Set<string>();
  const docs: Doc[] = [];
  const excluded: Array<{ name: string; reason: string }> = [];
  for (const file of files) {
    const name = relative(join(root, 'node_modules'), file);
    if (statSync(file).size > MAX_BYTES) {
      excluded.push({ name, reason: 'over 1 MB' });
      continue;
    }
    const bytes = readFileSync(file);
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (seen.has(hash)) continue;
    seen.add(hash);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      excluded.push({ name, reason: 'not UTF-8 text' });
      continue;
    }
    if (text.includes('\0')) {
      excluded.push({ name, reason: 'binary (NUL bytes)' });
      continue;
    }
    docs.push({ name, text, seed: parseInt(hash.slice(0, 8), 16) });
  }
  return { docs, excluded };
}

/** Seeded chunks of 1 to `max` characters: mostly small, as a model's tokens are, and some bursts. */
function chunks(text: string, seed: number, max: number): string[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    // Log-uniform: half the chunks are under sqrt(max) characters.
    const n = Math.max(1, Math.floor(max ** next()));
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

/**
 * The largest chunk: `min`, or more for long documents, so none takes more than about 500 steps (a 430 KB
 * changelog in chunks of 46 characters on average, each re-parsing its tail, would take most of a minute).
 */
function maxChunk(text: string, min: number): number {
  return Math.max(min, Math.ceil(text.length / 60));
}

const { docs, excluded } = corpus();
const md = createMarkdown();

describe(`the Markdown files node_modules ships`, () => {
  const h = new WebviewHarness();
  after(() => h.stop());
  before(async () => {
    await startInChromium(h);
    const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
    console.log(`corpus: ${docs.length} documents (deduplicated by content), ${(bytes / 1024 / 1024).toFixed(1)} MB`);
    for (const e of excluded) console.log(`excluded: ${e.name}: ${e.reason}`);
  });

  it('commit exactly markdown-it render of each prefix while streaming, and end identical to it (the renderer, in Node)', () => {
    const failures: string[] = [];
    for (const doc of docs) {
      const parts = chunks(doc.text, doc.seed, maxChunk(doc.text, 256));
      const every = Math.max(1, Math.floor(parts.length / STEP_SAMPLES));
      const r = new IncrementalMarkdown(md);
      const segments: string[] = [];
      const apply = (u: RenderUpdate) => {
        for (const { segment, html } of u.replace ?? []) segments[segment] = html;
        if (u.commit) segments.push(u.commit);
      };
      try {
        parts.forEach((part, step) => {
          apply(r.append(part));
          if (step < SMALL_STEPS || step % every === 0 || step === parts.length - 1) {
            const env: NonNullable<Parameters<typeof md.parse>[1]> = {};
            md.parse(r.text, env);
            const expected = md.render(r.text);
            const committed = segments.join('');
            // The tail is rendered knowing every definition in the prefix, as the renderer's tail is.
            if (!expected.startsWith(committed) || committed + md.render(r.tailText, { references: env.references ?? {} }) !== expected)
              throw new Error(`step ${step}: committed blocks differ from markdown-it's render of the prefix`);
          }
        });
        apply(r.finish());
        if (segments.join('') !== md.render(doc.text)) throw new Error("final render differs from markdown-it's");
      } catch (err) {
        failures.push(`${doc.name} (seed ${doc.seed}): ${(err as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('ends identical to markdown-it with the product options, every document (the real webview bundle, in Chromium)', async () => {
    const done = await h.page.waitForFunction(() => (window as any).__corpusFailures, undefined, { timeout: 600_000 });
    assert.deepEqual(await done.jsonValue(), []);
  });
});

/**
 * Starts streaming every document through the real page, the failures left in `window.__corpusFailures`:
 * Chromium works on one core while the Node checks run on the other.
 */
async function startInChromium(h: WebviewHarness): Promise<void> {
  await h.start({ probe: true });
  const all = docs.map((d) => ({ name: d.name, text: d.text, parts: chunks(d.text, d.seed ^ 0x5bd1e995, maxChunk(d.text, 1024)) }));
  await h.page.evaluate((batch) => {
    setTimeout(() => {
      const md = (window as any).__probe.createMarkdown();
      const send = (data: unknown) => window.dispatchEvent(new MessageEvent('message', { data }));
      /** The DOM as markdown-it would write it: no interface (`data-ui`), no chunk groups, no highlighting. */
      const norm = (html: string) => {
        const t = document.createElement('template');
        t.innerHTML = html;
        t.content.querySelectorAll('[data-ui]').forEach((e) => e.remove());
        t.content.querySelectorAll('.chunk').forEach((c) => c.replaceWith(...Array.from(c.childNodes)));
        return t.innerHTML;
      };
      const out: string[] = [];
      batch.forEach((doc, n) => {
        const id = `doc${n}`;
        send({ type: 'messageAdded', message: { id, role: 'assistant', text: '', state: 'streaming', seq: 0 } });
        doc.parts.forEach((text, k) => send({ type: 'delta', id, seq: k + 1, text }));
        send({ type: 'delta', id, seq: doc.parts.length + 1, text: '', end: { state: 'done' } });
        const article = document.querySelector(`article[data-id="${id}"]`)!;
        const got = norm(article.querySelector('.markdown')!.innerHTML);
        const want = norm(md.render(doc.text));
        if (got !== want) {
          let at = 0;
          while (at < got.length && got[at] === want[at]) at++;
          out.push(
            `${doc.name}: differs at ${at}: ${JSON.stringify(got.slice(at, at + 80))} vs ${JSON.stringify(want.slice(at, at + 80))}`,
          );
        }
        // Removed at once: nothing left to highlight or lay out for the next document.
        article.remove();
      });
      (window as any).__corpusFailures = out;
    });
  }, all);
}
