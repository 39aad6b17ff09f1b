/**
 * Syntax highlighting off the page's thread: highlight.js's first use (evaluating its grammars, compiling
 * one on first use) was a long task in the middle of a streamed answer. Here, under the page's real CSP,
 * code blocks get highlighted while highlight.js is never evaluated in the page, and nothing is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebviewHarness } from './harness';

describe('syntax highlighting in a worker', () => {
  const h = new WebviewHarness();
  before(async () => {
    await h.start();
    await h.page.evaluate(() => {
      (window as any).__violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as any).__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
  });
  after(() => h.stop());

  it('highlights code blocks of several languages without running highlight.js on the page', async () => {
    const fences = [
      ['java', 'public class A { static int f() { return 1; } }'],
      ['css', '.a > b:hover { color: red; }'],
      ['ts', 'const x: number = 1;'],
      ['python', 'def f():\n    return None'],
    ];
    const text = fences.map(([lang, code]) => `\`\`\`${lang}\n${code}\n\`\`\`\n`).join('\n');
    await h.send({ type: 'messageAdded', message: { id: 'code', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
    await h.send({ type: 'delta', id: 'code', seq: 1, text, end: { state: 'done' } });
    for (const [index, [, code]] of fences.entries()) {
      const block = h.page.locator('article[data-id="code"] pre code').nth(index);
      await block.locator('[class^="hljs-"]').first().waitFor();
      assert.equal(await block.textContent(), `${code}\n`);
    }
    const inPage = await h.page.evaluate(() => ({
      fn: typeof (window as any).modelChatHighlight,
      scripts: Array.from(document.scripts)
        .map((s) => s.src)
        .filter((src) => src.includes('highlight')),
      violations: (window as any).__violations,
    }));
    assert.deepEqual(inPage, { fn: 'undefined', scripts: [], violations: [] });
  });

  it('leaves an unknown language as plain text', async () => {
    await h.send({ type: 'messageAdded', message: { id: 'plain', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
    await h.send({
      type: 'delta',
      id: 'plain',
      seq: 1,
      text: '```nosuchlang\nlet a = 1\n```\n\n```js\nlet b = 2\n```\n',
      end: { state: 'done' },
    });
    // The known block after it is highlighted, so the unknown one's answer has come back too.
    await h.page.locator('article[data-id="plain"] pre code').nth(1).locator('[class^="hljs-"]').first().waitFor();
    const unknown = h.page.locator('article[data-id="plain"] pre code').first();
    assert.equal(await unknown.locator('*').count(), 0);
    assert.equal(await unknown.textContent(), 'let a = 1\n');
  });

  it('puts highlighting in with the next streamed update, not in a frame of its own', async () => {
    await h.send({ type: 'messageAdded', message: { id: 'merge', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
    // The stream goes on every 25 ms from inside the page until the block is highlighted: the highlighting
    // comes back from the worker while updates are still being drawn.
    const batches = await h.page.evaluate(
      () =>
        new Promise<Array<{ highlighted: boolean; streamed: boolean }>>((resolve) => {
          const article = () => document.querySelector('article[data-id="merge"]');
          const found: Array<{ highlighted: boolean; streamed: boolean }> = [];
          const inCode = (n: Node) => !!(n instanceof Element ? n : n.parentElement)?.closest('pre');
          // One callback per task that changed the page: what that task did.
          const observer = new MutationObserver((records) => {
            const added = records.flatMap((r) => Array.from(r.addedNodes));
            found.push({
              highlighted: added.some((n) => n instanceof Element && /hljs-/.test(n.className)),
              streamed: records.some((r) => !inCode(r.target)),
            });
          });
          observer.observe(document.body, { subtree: true, childList: true, characterData: true });
          let seq = 0;
          const send = (text: string) =>
            window.dispatchEvent(new MessageEvent('message', { data: { type: 'delta', id: 'merge', seq: ++seq, text } }));
          send('Before.\n\n```ts\nconst answer: number = 42;\n```\n\n');
          let after = 0;
          const timer = setInterval(() => {
            send(`Line ${seq}.\n\n`);
            if (article()?.querySelector('pre code [class^="hljs-"]') && ++after > 3) {
              clearInterval(timer);
              observer.disconnect();
              send('Done.');
              resolve(found);
            }
          }, 25);
        }),
    );
    const withHighlight = batches.filter((b) => b.highlighted);
    assert.equal(withHighlight.length, 1, `the block was highlighted in one go: ${JSON.stringify(batches)}`);
    assert.ok(withHighlight[0].streamed, `and in the same task as a streamed update: ${JSON.stringify(batches)}`);
    await h.send({ type: 'delta', id: 'merge', seq: 10_000, text: '', end: { state: 'done' } });
  });
});
