/**
 * Issue 13: a link click reaches the extension once and nothing else. VS Code's webview host script listens
 * for `click` and `auxclick` on the page's window and opens links itself (bypassing the extension's scheme
 * allow-list), so the page must stop those events before it, for every way a link is activated and for a link
 * anywhere in the page. The listeners installed here stand in for that script.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Locator } from 'playwright-core';
import { WebviewHarness } from './harness';

const model = { endpoint: 'Ollama', model: 'llama3.2:latest' };
const VSCODE_LINK = 'vscode://vscode.git/clone?url=https%3A%2F%2Fevil.example%2Fx';
const WEB_LINK = 'https://example.com/docs';

describe('link clicks in the webview are handled once, by the extension', () => {
  const h = new WebviewHarness();
  const popups: string[] = [];
  before(async () => {
    await h.start();
    h.page.on('popup', (p) => popups.push(p.url()));
    await h.page.evaluate(() => {
      const seen: string[] = ((window as any).__hostSaw = []);
      // VS Code's host script listens on the window in the bubble phase; document listeners catch anything
      // that would get that far by another route.
      for (const type of ['click', 'auxclick']) {
        window.addEventListener(type, (e) => seen.push(`window ${e.type}`));
        document.addEventListener(type, (e) => seen.push(`document ${e.type}`));
        document.addEventListener(type, (e) => seen.push(`document-capture ${e.type}`), true);
      }
    });
    await h.send({
      type: 'snapshot',
      busy: false,
      model,
      messages: [
        { id: 'a1', role: 'assistant', state: 'done', seq: 1, text: `Open [the repo](${VSCODE_LINK}) or [the docs](${WEB_LINK}).` },
      ],
    });
    await h.page.locator('article[data-id="a1"] a').first().waitFor();
    // No part of the page outside the message list shows links today; one placed there must be handled too.
    await h.page.evaluate((href) => {
      const a = document.createElement('a');
      a.href = href;
      a.textContent = 'elsewhere';
      document.querySelector('.notice-bar')!.append(a);
    }, VSCODE_LINK);
  });
  after(() => h.stop());
  beforeEach(async () => {
    await h.clearPosted();
    await h.page.evaluate(() => ((window as any).__hostSaw.length = 0));
    popups.length = 0;
  });

  const hostSaw = (): Promise<string[]> => h.page.evaluate(() => (window as any).__hostSaw);
  const link = (name: string): Locator =>
    name === 'elsewhere' ? h.page.locator('.notice-bar a') : h.page.locator('article[data-id="a1"] a', { hasText: name });

  const ways: Array<[string, (l: Locator) => Promise<void>]> = [
    ['a left click', (l) => l.click()],
    ['a middle click', (l) => l.click({ button: 'middle' })],
    ['a ctrl-click', (l) => l.click({ modifiers: ['Control'] })],
    ['a meta-click', (l) => l.click({ modifiers: ['Meta'] })],
    ['a shift-click', (l) => l.click({ modifiers: ['Shift'] })],
    [
      'Enter on the focused link',
      async (l) => {
        await l.focus();
        await l.press('Enter');
      },
    ],
  ];
  const links: Array<[string, string]> = [
    ['the repo', VSCODE_LINK],
    ['the docs', WEB_LINK],
    ['elsewhere', VSCODE_LINK],
  ];

  for (const [way, activate] of ways) {
    for (const [name, href] of links) {
      it(`${way} on ${name === 'elsewhere' ? 'a link outside the message list' : href.split(':')[0] + ' link'} posts exactly one openLink and reaches no other handler`, async () => {
        await activate(link(name));
        // The click handlers run synchronously inside the input dispatch; a frame later everything has settled.
        await h.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        assert.deepEqual(await h.posted(), [{ type: 'openLink', href }]);
        assert.deepEqual(await hostSaw(), [], "VS Code's own link handler never sees the event");
        assert.deepEqual(popups, [], 'the page opened no window of its own');
        assert.match(h.page.url(), /index\.html$/, 'the page did not navigate');
      });
    }
  }

  it('leaves right clicks alone (no link opens on a context-menu click)', async () => {
    await link('the docs').click({ button: 'right' });
    await h.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.deepEqual(await h.posted(), []);
  });
});
