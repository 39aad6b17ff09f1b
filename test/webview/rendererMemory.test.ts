/**
 * What a long streamed answer leaves in the page's memory. The renderer keeps the HTML of each committed
 * block (to redraw those whose links a later reference definition changes); V8 keeps a substring as a view
 * of the string it was cut from, and the source is flattened into a fresh copy on every update, so each
 * kept HTML string once held a whole copy of the answer as it was then: memory grew with the answer times
 * the number of updates (56 MB after a 55k-token answer, against 4 MB before). Here the V8 heap, after a
 * forced GC, must grow in proportion to the answer, not to the answer times the updates.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tokenize } from '../../bench/render';
import { longAnswer } from '../fixtures/markdownCorpus';
import { WebviewHarness } from './harness';

/** Heap allowed per character of answer: what is kept (node wrappers, committed HTML) measured 15-30 bytes; the leak, 200. */
const BYTES_PER_CHAR = 60;

describe('streamed answer memory in headless Chromium', () => {
  const h = new WebviewHarness();
  before(() => h.start());
  after(() => h.stop());

  it('keeps heap growth proportional to the answer, not to answer × updates', async () => {
    const text = longAnswer(30_000);
    const tokens = tokenize(text);
    const updates: string[] = [];
    for (let i = 0; i < tokens.length; i += 25) updates.push(tokens.slice(i, i + 25).join(''));
    const cdp = await h.page.context().newCDPSession(h.page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    // highlight.js (loaded on first use) and the updates are in the page before the baseline: not growth.
    await h.send({
      type: 'messageAdded',
      message: { id: 'warm', role: 'assistant', text: '```js\nlet a = 1;\n```\n', state: 'done', seq: 0 },
    });
    await h.page.waitForSelector('article[data-id="warm"] code [class^="hljs-"]');
    await h.page.evaluate((updates) => {
      (window as any).__updates = updates;
      window.dispatchEvent(
        new MessageEvent('message', {
          data: { type: 'messageAdded', message: { id: 'long', role: 'assistant', text: '', state: 'streaming', seq: 0 } },
        }),
      );
    }, updates);
    const baseline = await heap();
    await h.page.evaluate(() => {
      const updates: string[] = (window as any).__updates;
      updates.forEach((text, i) =>
        window.dispatchEvent(new MessageEvent('message', { data: { type: 'delta', id: 'long', seq: i + 1, text } })),
      );
    });
    const streaming = (await heap()) - baseline;
    await h.page.evaluate((seq) => {
      window.dispatchEvent(new MessageEvent('message', { data: { type: 'delta', id: 'long', seq, text: '', end: { state: 'done' } } }));
    }, updates.length + 1);
    await h.page.waitForFunction(() => !document.querySelector('article[data-id="long"] .markdown > .tail'));
    const done = (await heap()) - baseline;
    const limit = text.length * BYTES_PER_CHAR;
    const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
    const detail = `${updates.length} updates, answer ${(text.length / 1024).toFixed(0)} KB; limit ${mb(limit)}`;
    assert.ok(streaming < limit, `heap grew ${mb(streaming)} while streaming (${detail})`);
    assert.ok(done < limit, `heap grew ${mb(done)} by the end (${detail})`);
    assert.equal((await h.page.locator('article[data-id="long"] .markdown > .chunk > *').count()) > 100, true);
  });
});
