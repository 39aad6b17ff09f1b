/**
 * The incremental renderer inside the real webview bundle, in headless Chromium, fed through the real
 * message path. The string-level invariants are in test/unit/incrementalRenderer.test.ts; here the DOM.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { longAnswer } from '../fixtures/markdownCorpus';
import { createMarkdown } from '../../src/webview/markdown/markdown';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });
const spec: Array<{ markdown: string; example: number }> = require('commonmark-spec').tests;

describe('incremental renderer in headless Chromium', () => {
  const h = new WebviewHarness();
  before(() => h.start({ probe: true }));
  after(() => h.stop());
  beforeEach(() => h.send({ type: 'snapshot', messages: [], busy: false, model: { endpoint: 'E', model: 'm' } }));

  it('keeps the DOM equal to committed + tail at every step, and to markdown-it at the end, for every spec example', async () => {
    const failures = await h.page.evaluate(
      ({ examples, sizes }) => {
        const probe = (window as any).__probe;
        const md = probe.createMarkdown();
        const errors: string[] = [];
        const norm = (html: string) => {
          const t = document.createElement('template');
          t.innerHTML = html;
          t.content.querySelectorAll('[data-ui]').forEach((e) => e.remove());
          return t.innerHTML;
        };
        const send = (data: unknown) => window.dispatchEvent(new MessageEvent('message', { data }));
        let n = 0;
        for (const ex of examples) {
          for (const size of sizes) {
            const id = `m${n++}`;
            send({ type: 'messageAdded', message: { id, role: 'assistant', text: '', state: 'streaming', seq: 0 } });
            const body = document.querySelector(`article[data-id="${id}"] .markdown`)!;
            const model = new probe.IncrementalMarkdown(md);
            const segments: string[] = [];
            let committed = '';
            let tail = '';
            const parts: string[] = [];
            for (let i = 0; i < ex.markdown.length; i += size) parts.push(ex.markdown.slice(i, i + size));
            parts.forEach((part, k) => {
              const u = model.append(part);
              for (const { segment, html } of u.replace ?? []) segments[segment] = html;
              if (u.commit) segments.push(u.commit);
              committed = segments.join('');
              if (u.fenceText !== undefined)
                tail = tail.replace(/<\/code><\/pre>\n$/, md.utils.escapeHtml(u.fenceText) + '</code></pre>\n');
              else if (u.tail !== undefined) tail = u.tail;
              send({ type: 'delta', id, seq: k + 1, text: part });
              const tailEl = body.querySelector(':scope > .tail');
              // Committed blocks sit in .chunk groups while streaming: their contents are the render.
              const committedHtml = Array.from(body.childNodes)
                .filter((c) => c !== tailEl)
                .map((c) => (c instanceof Element ? (c.classList.contains('chunk') ? c.innerHTML : c.outerHTML) : c.textContent))
                .join('');
              if (norm(committedHtml) !== norm(committed)) errors.push(`example ${ex.example} size ${size} step ${k}: committed differs`);
              if (norm(tailEl?.innerHTML ?? '') !== norm(tail)) errors.push(`example ${ex.example} size ${size} step ${k}: tail differs`);
            });
            send({ type: 'delta', id, seq: parts.length + 1, text: '', end: { state: 'done' } });
            if (body.querySelector('.tail, .chunk')) errors.push(`example ${ex.example}: tail or chunk left after the end`);
            if (norm(body.innerHTML) !== norm(md.render(ex.markdown)))
              errors.push(`example ${ex.example} size ${size}: final DOM differs from markdown-it`);
            document.querySelector(`article[data-id="${id}"]`)!.remove();
            if (errors.length > 5) return errors;
          }
        }
        return errors;
      },
      { examples: spec, sizes: [7, 3] },
    );
    assert.deepEqual(failures, []);
  });

  it('renders committed blocks once, extends an open code fence in place, and highlights closed blocks', async () => {
    await h.send({ type: 'messageAdded', message: { id: 'a', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
    let seq = 0;
    const delta = (text: string) => h.send({ type: 'delta', id: 'a', seq: ++seq, text });
    await delta('# Title\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird.\n\n');
    await h.page.evaluate(() => ((document.querySelector('article .markdown h1') as any).__mark = 'kept'));
    await delta('```ts\nconst a = 1;\n');
    await h.page.evaluate(() => ((document.querySelector('article .markdown .tail code') as any).__mark = 'same'));
    for (let i = 0; i < 50; i++) await delta(`const v${i} = ${i};\n`);
    const state = await h.page.evaluate(() => ({
      h1: (document.querySelector('article .markdown h1') as any)?.__mark,
      code: (document.querySelector('article .markdown .tail code') as any)?.__mark,
      lines: document.querySelector('article .markdown .tail code')!.textContent!.split('\n').length,
    }));
    assert.deepEqual(state, { h1: 'kept', code: 'same', lines: 52 }, 'the heading node survived; the fence grew in the same <code>');
    await delta('```\n\nAfter the code.\n\nMore.\n\nAnd more.\n');
    await h.page.waitForFunction(() => document.querySelector('article .markdown pre code .hljs-keyword'), undefined, { timeout: 5000 });
    const pre = h.page.locator('article .markdown pre').first();
    assert.equal(await pre.locator('[data-ui="language"]').textContent(), 'ts');
    assert.equal(await pre.locator('button[aria-label="Copy code"][data-ui]').count(), 1);
    assert.equal(await pre.locator('button[aria-label="Insert at cursor"][data-ui]').count(), 1);
    await pre.hover();
    await h.page.screenshot({ path: join(shots, 'code-block.png') });
    await h.clearPosted();
    await pre.locator('button[aria-label="Copy code"]').click();
    await pre.locator('button[aria-label="Insert at cursor"]').click();
    const posted = await h.posted();
    const code = 'const a = 1;\n' + Array.from({ length: 50 }, (_, i) => `const v${i} = ${i};\n`).join('');
    assert.deepEqual(posted, [
      { type: 'copyText', text: code },
      { type: 'insertCode', text: code },
    ]);
    assert.equal(await h.page.evaluate(() => (document.querySelector('article .markdown h1') as any).__mark), 'kept');
  });

  it('shows unfinished syntax as it will end up, and the caret on the tail only', async () => {
    await h.send({ type: 'messageAdded', message: { id: 'b', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
    await h.send({ type: 'delta', id: 'b', seq: 1, text: 'Some **bold and `code and [a link](https://exa' });
    const tail = h.page.locator('article[data-id="b"] .markdown > .tail');
    assert.equal(await tail.locator('strong').count(), 1);
    assert.equal(await tail.locator('code').count(), 1);
    assert.equal(await h.page.locator('article[data-id="b"]').evaluate((e) => e.className), '', 'nothing toggled on the root');
    const caret = () => tail.evaluate((t) => getComputedStyle(t.lastElementChild!, '::after'));
    assert.equal((await caret()).display, 'inline-block', 'a caret at the end of the text');
    // Blinking once text pauses; steady while it comes (a blink restarted at every update cost a frame each).
    await h.page.waitForFunction(() => document.querySelector('article[data-id="b"] .markdown > .tail')!.hasAttribute('data-idle'));
    assert.equal((await caret()).animationName, 'caret');
    // Read when the text is drawn (the page may pace its drawing): in the same task, before any timer.
    const whileComing = await h.page.evaluate(
      () =>
        new Promise<string>((done) => {
          const t = document.querySelector('article[data-id="b"] .markdown > .tail')!;
          new MutationObserver(() => {
            done(getComputedStyle(t.lastElementChild!, '::after').animationName);
          }).observe(t, { subtree: true, childList: true, characterData: true, attributes: true });
          window.dispatchEvent(new MessageEvent('message', { data: { type: 'delta', id: 'b', seq: 2, text: 'mple.com' } }));
        }),
    );
    assert.equal(whileComing, 'none', 'steady again when text comes');
    await h.send({ type: 'delta', id: 'b', seq: 3, text: ') done**', end: { state: 'done' } });
    assert.equal(await tail.count(), 0);
    assert.equal(await h.page.locator('article[data-id="b"] .markdown a').getAttribute('href'), 'https://example.com');
  });

  it('never loads images or runs scripts from model output, and opens workspace links through the host', async () => {
    const before = h.foreignRequests.length;
    await h.send({ type: 'messageAdded', message: { id: 'c', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
    await h.send({ type: 'delta', id: 'c', seq: 1, text: '![pixel](https://tracker.example/p.png) ![cut](https://img.example/very-long' });
    await h.send({
      type: 'delta',
      id: 'c',
      seq: 2,
      text: '.png) see [the file](src/app.ts#L3)\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n',
      end: { state: 'done' },
    });
    await h.page.waitForTimeout(200);
    assert.equal(await h.page.locator('article[data-id="c"] img').count(), 0);
    assert.equal(h.foreignRequests.length, before, 'no request left the page');
    assert.equal(await h.page.locator('article[data-id="c"] td.align-right').count(), 1, 'table alignment survives the CSP');
    await h.clearPosted();
    await h.page.locator('article[data-id="c"] a', { hasText: 'the file' }).click();
    assert.deepEqual(await h.posted(), [{ type: 'openLink', href: 'src/app.ts#L3' }]);
  });

  it('shows a linked image (a README badge) as a placeholder inside the one link, to the outer target', async () => {
    await h.send({ type: 'messageAdded', message: { id: 'badge', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
    await h.send({ type: 'delta', id: 'badge', seq: 1, text: '# Project\n\n[![CI](https://ci.example/badge.svg)](https://ci' });
    await h.send({ type: 'delta', id: 'badge', seq: 2, text: '.example/runs) and a plain ![diagram](d.png)\n', end: { state: 'done' } });
    const body = h.page.locator('article[data-id="badge"] .markdown');
    const links = await body.locator('a').evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent })));
    assert.deepEqual(links, [
      { href: 'https://ci.example/runs', text: 'CI' },
      { href: 'd.png', text: 'diagram' },
    ]);
    assert.equal(
      await body.locator('a[href="https://ci.example/runs"] > span.image-link').count(),
      1,
      'the placeholder is inside the link',
    );
    assert.equal(await body.locator('a a').count(), 0);
    await body.screenshot({ path: join(shots, 'linked-image.png') });
    await h.clearPosted();
    await body.locator('span.image-link').click();
    assert.deepEqual(await h.posted(), [{ type: 'openLink', href: 'https://ci.example/runs' }]);
  });

  it('links earlier text when a reference definition arrives, leaving the blocks that do not use it as they are', async () => {
    await h.send({ type: 'messageAdded', message: { id: 'refs', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
    let seq = 0;
    const delta = (text: string, end?: boolean) =>
      h.send({ type: 'delta', id: 'refs', seq: ++seq, text, ...(end ? { end: { state: 'done' as const } } : {}) });
    // One update: the paragraph, the code block and the paragraph after them are committed as one segment.
    await delta('See [the docs][1] first.\n\n```js\nconst a = 1;\n```\n\nNothing to link here.\n\nNext.\n\nStill streaming');
    await h.page.waitForFunction(() => document.querySelector('article[data-id="refs"] pre code .hljs-keyword'), undefined, {
      timeout: 5000,
    });
    const mark = () =>
      h.page.evaluate(() => {
        const body = document.querySelector('article[data-id="refs"] .markdown')!;
        const [first, second] = Array.from(body.querySelectorAll('p'));
        Object.assign(body.querySelector('pre')!, { __mark: 'pre' });
        Object.assign(first, { __mark: 'first' });
        Object.assign(second, { __mark: 'second' });
      });
    await mark();
    await delta(' text.\n\n[1]: https://docs.example/start\n', true);
    const after = await h.page.evaluate(() => {
      const body = document.querySelector('article[data-id="refs"] .markdown')!;
      const [first, second] = Array.from(body.querySelectorAll('p'));
      const pre = body.querySelector('pre')!;
      return {
        link: first.querySelector('a')?.getAttribute('href'),
        first: (first as any).__mark,
        second: (second as any).__mark,
        pre: (pre as any).__mark,
        toolbars: pre.querySelectorAll(':scope > [data-ui]').length,
        highlighted: !!pre.querySelector('code .hljs-keyword'),
      };
    });
    assert.deepEqual(after, {
      link: 'https://docs.example/start',
      first: undefined,
      second: 'second',
      pre: 'pre',
      toolbars: 1,
      highlighted: true,
    });
    const md = createMarkdown();
    const html = await h.page.evaluate(() => {
      const copy = document.querySelector('article[data-id="refs"] .markdown')!.cloneNode(true) as HTMLElement;
      copy.querySelectorAll('[data-ui]').forEach((e) => e.remove());
      copy.querySelectorAll('code').forEach((c) => c.replaceChildren(c.textContent ?? ''));
      return copy.innerHTML;
    });
    const expected = md.render(
      'See [the docs][1] first.\n\n```js\nconst a = 1;\n```\n\nNothing to link here.\n\nNext.\n\nStill streaming text.\n\n[1]: https://docs.example/start\n',
    );
    assert.equal(html, expected);
  });

  it('stays pinned to the bottom while streaming until the user scrolls up, and re-pins at the bottom', async () => {
    await h.send({ type: 'messageAdded', message: { id: 'd', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
    const text = longAnswer(12_000);
    const parts = text.match(/[\s\S]{1,200}/g)!;
    let seq = 0;
    const list = h.page.locator('.messages');
    const gap = () => list.evaluate((e) => e.scrollHeight - e.scrollTop - e.clientHeight);
    // The list scrolls in the frame after an update (reading its height at once laid the page out mid-message).
    const pinned = (what: string) =>
      h.page
        .waitForFunction(
          () => {
            const e = document.querySelector('.messages')!;
            return e.scrollHeight - e.scrollTop - e.clientHeight <= 2;
          },
          undefined,
          { timeout: 2000 },
        )
        .catch(async () => assert.fail(`${what}: ${await gap()} px from the bottom`));
    for (const p of parts.slice(0, 20)) await h.send({ type: 'delta', id: 'd', seq: ++seq, text: p });
    await pinned('pinned while streaming');
    await list.hover();
    await h.page.mouse.wheel(0, -600);
    await h.page.waitForTimeout(100);
    const scrolledTo = await list.evaluate((e) => e.scrollTop);
    for (const p of parts.slice(20, 40)) await h.send({ type: 'delta', id: 'd', seq: ++seq, text: p });
    assert.equal(await list.evaluate((e) => e.scrollTop), scrolledTo, 'no jump while the user reads above');
    await list.evaluate((e) => e.scrollTo({ top: e.scrollHeight }));
    await h.page.mouse.wheel(0, 50);
    await h.page.waitForTimeout(100);
    for (const p of parts.slice(40)) await h.send({ type: 'delta', id: 'd', seq: ++seq, text: p });
    await pinned('re-pinned after coming back to the bottom');
    const css = await h.page.evaluate(() => ({
      streaming: getComputedStyle(document.querySelector('article[data-id="d"]')!).contentVisibility,
      committed: getComputedStyle(document.querySelector('article[data-id="d"] .markdown > .chunk > :first-child')!).contain,
      chunks: document.querySelectorAll('article[data-id="d"] .markdown > .chunk').length,
    }));
    assert.deepEqual(css, { streaming: 'visible', committed: 'layout style', chunks: css.chunks });
    assert.ok(css.chunks >= 2, `committed blocks are grouped (${css.chunks} groups)`);
    // A long answer keeps its groups at the end (unwrapping them laid the whole answer out again), and looks the
    // same as without them: margins collapse through them, and the last block ends the answer as it would.
    // Chromium's own count of the elements it restyles: the last group turning :last-child restyled all of its
    // elements (every span of its highlighted code), where only its blocks can change.
    const trace = join(shots, 'end-of-answer-trace.json');
    const browser = h.page.context().browser()!;
    await browser.startTracing(h.page, { path: trace, categories: ['devtools.timeline'] });
    await h.send({ type: 'delta', id: 'd', seq: seq + 1, text: '', end: { state: 'done' } });
    const inLastGroup = await h.page.evaluate(() => {
      const chunk = document.querySelector('article[data-id="d"] .markdown > .chunk:last-child')!;
      void document.body.offsetHeight;
      return {
        elements: chunk.getElementsByTagName('*').length,
        blocks: chunk.querySelectorAll('p, ul, ol, pre, blockquote, table, hr, h1, h2, h3, h4, h5, h6').length,
      };
    });
    await browser.stopTracing();
    const restyled = Math.max(
      ...(JSON.parse(readFileSync(trace, 'utf8')).traceEvents as Array<{ name: string; args?: { elementCount?: number } }>)
        .filter((e) => e.name === 'UpdateLayoutTree')
        .map((e) => e.args?.elementCount ?? 0),
    );
    assert.ok(inLastGroup.elements >= 4 * inLastGroup.blocks, `the last group holds far more than blocks: ${JSON.stringify(inLastGroup)}`);
    assert.ok(
      restyled < inLastGroup.elements / 4,
      `the end restyled ${restyled} elements; the last group has ${JSON.stringify(inLastGroup)}`,
    );
    const end = await h.page.evaluate(() => {
      const markdown = document.querySelector('article[data-id="d"] .markdown')!;
      const last = markdown.querySelector(':scope > .chunk:last-child > :last-child')!;
      const height = markdown.getBoundingClientRect().height;
      const flat = markdown.cloneNode(true) as HTMLElement;
      flat.querySelectorAll(':scope > .chunk').forEach((c) => c.replaceWith(...Array.from(c.childNodes)));
      markdown.after(flat);
      const flatHeight = flat.getBoundingClientRect().height;
      const flatMargin = getComputedStyle(flat.lastElementChild!).marginBottom;
      flat.remove();
      const chunks = markdown.querySelectorAll(':scope > .chunk').length;
      return {
        tail: !!markdown.querySelector('.tail'),
        chunks,
        margin: getComputedStyle(last).marginBottom,
        flatMargin,
        height,
        flatHeight,
      };
    });
    assert.equal(end.tail, false);
    assert.ok(end.chunks >= 2, `${end.chunks} groups kept`);
    assert.equal(end.margin, end.flatMargin, "the last block's margin, as the last child's");
    assert.equal(end.height, end.flatHeight, 'the same height as the same blocks without groups');
  });
});
