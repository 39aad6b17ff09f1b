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
});
