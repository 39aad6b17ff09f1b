import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { HistoryItem } from '../../src/shared/protocol';
import { relativeTime } from '../../src/webview/relativeTime';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });
const model = { endpoint: 'Ollama', model: 'qwen3:latest' };
const HOUR = 3_600_000;

describe('relativeTime', () => {
  const noon = new Date(2026, 5, 15, 12, 0).getTime();
  it('says minutes and hours today, Yesterday, then a date', () => {
    assert.equal(relativeTime(noon - 20_000, noon), 'just now');
    assert.equal(relativeTime(noon - 5 * 60_000, noon), '5 min ago');
    assert.equal(relativeTime(noon - 2 * HOUR, noon), '2 h ago');
    assert.equal(relativeTime(noon - 11 * HOUR, noon), '11 h ago');
    assert.equal(relativeTime(noon - 20 * HOUR, noon), 'Yesterday');
    assert.equal(
      relativeTime(noon - 3 * 24 * HOUR, noon),
      new Date(noon - 3 * 24 * HOUR).toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
    );
    assert.match(relativeTime(new Date(2024, 0, 5).getTime(), noon), /2024/);
  });
  it('prefers hours to Yesterday just after midnight', () => {
    const oneAm = new Date(2026, 5, 15, 1, 0).getTime();
    assert.equal(relativeTime(oneAm - 2 * HOUR, oneAm), '2 h ago');
  });
});

describe('history panel in headless Chromium', () => {
  const h = new WebviewHarness();
  before(() => h.start());
  after(() => h.stop());
  const page = () => h.page;
  const panel = () => page().locator('.history-panel');
  const rows = () => panel().locator('[role="list"] > [role="listitem"]');
  const row = (id: string) => panel().locator(`[role="listitem"][data-id="${id}"]`);
  const now = Date.now();
  const today = new Date(now);
  // Noon of the day before is "Yesterday" whatever the time now (never within the first six hours).
  const yesterdayNoon = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1, 12).getTime();
  const items: HistoryItem[] = [
    { id: 'c1', title: 'Streaming markdown without flicker', updatedAt: now - 2 * HOUR - 60_000, model: 'qwen3:latest', messageCount: 12 },
    {
      id: 'c2',
      title: 'Why does the MCP server time out on large repositories',
      updatedAt: yesterdayNoon,
      model: 'llama3.2',
      messageCount: 1,
      busy: true,
    },
    { id: 'c3', title: 'Regex for ISO dates', updatedAt: now - 9 * 24 * HOUR, messageCount: 4 },
  ];

  async function openWith(list: HistoryItem[] = items, activeId = 'c1'): Promise<void> {
    if (!(await panel().isVisible())) await page().click('button[aria-label="Show history"]');
    await h.send({ type: 'history', items: structuredClone(list), query: '', activeId });
    await h.clearPosted();
  }

  beforeEach(async () => {
    await page().setViewportSize({ width: 420, height: 640 });
    if (await panel().isVisible()) await page().click('button[aria-label="Close history"]');
    await h.send({ type: 'snapshot', messages: [{ id: 'u1', role: 'user', text: 'Hi', state: 'done', seq: 0 }], busy: false, model });
    await h.clearPosted();
  });

  it('opens from the header in place of the messages, asks for every conversation and focuses the search', async () => {
    const toggle = page().locator('button[aria-label="Show history"]');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    assert.deepEqual(await h.posted(), [{ type: 'history', query: '' }]);
    assert.equal(await panel().isVisible(), true);
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await page().locator('.messages').isVisible(), false, 'the list is hidden…');
    assert.equal(await page().locator('article[data-role="user"]').count(), 1, '…but stays in the DOM');
    assert.equal(await page().evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Search conversations');
    assert.equal(await page().locator('input[type="search"][aria-label="Search conversations"]').count(), 1);
    await toggle.click();
    assert.equal(await panel().isVisible(), false);
    assert.equal(await page().locator('.messages').isVisible(), true);
  });

  it('lists the conversations with title, date, model and size, marking the current one', async () => {
    await openWith();
    assert.equal(await rows().count(), 3);
    assert.equal(await row('c1').locator('.history-title').innerText(), 'Streaming markdown without flicker');
    assert.equal(await row('c1').locator('.history-meta').innerText(), '2 h ago · qwen3:latest · 12 messages');
    assert.equal(await row('c2').locator('.history-meta').innerText(), 'Yesterday · llama3.2 · 1 message · answering…');
    assert.match(await row('c3').locator('.history-meta').innerText(), /^\w{3} \d{1,2}(, \d{4})? · 4 messages$/);
    assert.equal(await row('c1').getAttribute('aria-current'), 'true');
    assert.equal(await panel().locator('[aria-current="true"]').count(), 1);
    for (const width of [250, 500]) {
      await page().setViewportSize({ width, height: 520 });
      await page().screenshot({ path: join(shots, `history-${width}.png`) });
    }
  });

  it('searches as you type, asking the host once the typing pauses, and ignores stale replies', async () => {
    await openWith();
    await page().locator('.history-search').pressSequentially('flick');
    assert.deepEqual(await h.posted(), [], 'not on every key');
    await page().waitForTimeout(320);
    assert.deepEqual(await h.posted(), [{ type: 'history', query: 'flick' }]);
    await h.send({ type: 'history', items: items.slice(1), query: 'fli', activeId: 'c1' });
    assert.equal(await rows().count(), 3, 'a reply to an older query changes nothing');
    await h.send({
      type: 'history',
      items: [{ ...items[0], snippet: '…the caret flickers when a block…' }],
      query: 'flick',
      activeId: 'c1',
    });
    assert.equal(await rows().count(), 1);
    assert.equal(await row('c1').locator('.history-snippet').innerText(), '…the caret flickers when a block…');
    assert.equal(await row('c1').locator('.history-snippet mark').innerText(), 'flick');
    await page().screenshot({ path: join(shots, 'history-search.png') });
    await h.send({ type: 'history', items: [], query: 'flick' });
    assert.equal(await panel().locator('.history-empty').innerText(), 'No conversations match “flick”.');
    await page().locator('.history-search').fill('');
    await page().waitForTimeout(320);
    await h.send({ type: 'history', items: [], query: '' });
    assert.equal(await panel().locator('.history-empty').innerText(), 'No conversations yet.');
  });

  it('opens a conversation from its title and closes', async () => {
    await openWith();
    await row('c3').locator('.history-title').click();
    assert.deepEqual(await h.posted(), [{ type: 'openConversation', id: 'c3' }]);
    assert.equal(await panel().isVisible(), false);
    assert.equal(await page().locator('.messages').isVisible(), true);
  });

  it('renames with the keyboard: Enter commits, Escape cancels (and leaves the panel open)', async () => {
    await openWith();
    await row('c2').locator('button[aria-label="Rename"]').focus();
    await page().keyboard.press('Enter');
    const input = row('c2').locator('input[aria-label="Conversation title"]');
    assert.equal(await input.evaluate((e) => e === document.activeElement), true);
    await page().keyboard.press('Control+A');
    await page().keyboard.type('MCP timeouts');
    await page().keyboard.press('Enter');
    assert.deepEqual(await h.posted(), [{ type: 'renameConversation', id: 'c2', title: 'MCP timeouts' }]);
    assert.equal(await row('c2').locator('.history-title').innerText(), 'MCP timeouts');
    assert.equal(
      await row('c2')
        .locator('.history-title')
        .evaluate((e) => e === document.activeElement),
      true,
    );

    await h.clearPosted();
    await row('c2').locator('button[aria-label="Rename"]').click();
    await page().keyboard.type(' and more');
    await page().keyboard.press('Escape');
    assert.deepEqual(await h.posted(), []);
    assert.equal(await row('c2').locator('.history-title').innerText(), 'MCP timeouts');
    assert.equal(await panel().isVisible(), true);
  });

  it('deletes a row at once, and the notice offers Undo', async () => {
    await openWith();
    await row('c2').hover();
    await row('c2').locator('button[aria-label="Delete"]').click();
    assert.equal(await row('c2').count(), 0);
    assert.equal(await rows().count(), 2);
    assert.deepEqual(await h.posted(), [{ type: 'deleteConversation', id: 'c2' }]);
    await h.send({ type: 'notice', text: 'Deleted “Why does the MCP server time out”.', action: { label: 'Undo', id: 'undo-c2' } });
    const notice = page().locator('.notice-bar[role="status"]');
    assert.match(await notice.innerText(), /Deleted “Why does the MCP server time out”\./);
    for (const width of [250, 500]) {
      await page().setViewportSize({ width, height: 520 });
      await page().screenshot({ path: join(shots, `history-notice-${width}.png`) });
    }
    await h.clearPosted();
    await notice.getByRole('button', { name: 'Undo' }).click();
    assert.deepEqual(await h.posted(), [{ type: 'noticeAction', id: 'undo-c2' }]);
    assert.equal(await page().locator('.notice').isVisible(), false);
  });

  it('keeps the keyboard on the list when the host sends the list again after a delete or a rename', async () => {
    await openWith();
    await row('c2').locator('button[aria-label="Delete"]').focus();
    await page().keyboard.press('Enter');
    await h.send({ type: 'history', items: structuredClone([items[0], items[2]]), query: '', activeId: 'c1' });
    const focusedRow = () =>
      page().evaluate(() => document.activeElement?.closest('[data-id]')?.getAttribute('data-id') ?? document.activeElement?.tagName);
    assert.equal(await focusedRow(), 'c3', "the row that took the deleted one's place");
    await row('c3').locator('button[aria-label="Rename"]').focus();
    await h.send({ type: 'history', items: structuredClone([items[0], { ...items[2], title: 'ISO dates' }]), query: '', activeId: 'c1' });
    assert.equal(await page().evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Rename');
    assert.equal(await focusedRow(), 'c3');
  });

  it('says so when the last conversation is deleted', async () => {
    await openWith([items[2]], 'c1');
    await row('c3').locator('button[aria-label="Delete"]').click();
    assert.equal(await panel().locator('.history-empty').innerText(), 'No conversations yet.');
  });

  it('closes on Escape and with the Back button, giving focus back to the header', async () => {
    await openWith();
    await page().keyboard.press('Escape');
    assert.equal(await panel().isVisible(), false);
    assert.equal(await page().evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Show history');
    await openWith();
    await page().click('button[aria-label="Close history"]');
    assert.equal(await panel().isVisible(), false);
    assert.equal(await page().locator('button[aria-label="Show history"]').getAttribute('aria-pressed'), 'false');
    await openWith();
    await page().focus('button[aria-label="Show history"]');
    await page().keyboard.press('Escape');
    assert.equal(await panel().isVisible(), false, 'Escape works from the header too');
  });

  it('New chat posts newChat and closes the panel', async () => {
    await openWith();
    await page().click('button[aria-label="New chat"]');
    assert.deepEqual(await h.posted(), [{ type: 'newChat' }]);
    assert.equal(await panel().isVisible(), false);
  });

  it('the notice hides by itself, but not while hovered', async () => {
    await page().clock.install();
    try {
      await h.send({ type: 'notice', text: 'Saved.' });
      const notice = page().locator('.notice');
      assert.equal(await notice.isVisible(), true);
      await page().clock.runFor(11_000);
      assert.equal(await notice.isVisible(), false);
      await h.send({ type: 'notice', text: 'Deleted “x”.', action: { label: 'Undo', id: 'u' } });
      await notice.hover();
      await page().clock.runFor(11_000);
      assert.equal(await notice.isVisible(), true, 'stays under the pointer');
      await page().mouse.move(1, 1);
      await page().clock.runFor(11_000);
      assert.equal(await notice.isVisible(), false);
    } finally {
      await page().reload();
      await page().waitForFunction(() => (window as any).__posted?.length > 0);
    }
  });
});

describe('a long conversation read back with Page Up, in headless Chromium', () => {
  const h = new WebviewHarness();
  before(() => h.start({ width: 420, height: 640 }));
  after(() => h.stop());
  const COUNT = 300;
  const messages = Array.from({ length: COUNT }, (_, i) => ({
    id: `m${i}`,
    role: i % 2 ? ('assistant' as const) : ('user' as const),
    text:
      i % 2
        ? Array.from({ length: 6 }, (_, p) => `Answer ${i}, paragraph ${p}: ${'words to read '.repeat(12)}`).join('\n\n')
        : `Question ${i}?`,
    state: 'done' as const,
    seq: 0,
  }));
  const articles = () => h.page.locator('.messages > article').count();
  const idlePeriods = (n: number) =>
    h.page.evaluate(
      (count) =>
        new Promise<void>((resolve) => {
          const next = (left: number) => (left ? requestIdleCallback(() => next(left - 1)) : resolve());
          next(count);
        }),
      n,
    );
  /** Until a (smooth) scroll has ended: the same scroll position three frames in a row. */
  const scrolled = () =>
    h.page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const list = document.querySelector('.messages')!;
          let last = -1;
          let same = 0;
          const frame = () => {
            same = list.scrollTop === last ? same + 1 : 0;
            last = list.scrollTop;
            if (same >= 3) resolve();
            else requestAnimationFrame(frame);
          };
          requestAnimationFrame(frame);
        }),
    );
  /** The first article on screen and its distance from the list's top edge. */
  const reading = () =>
    h.page.evaluate(() => {
      const list = document.querySelector('.messages')!;
      const top = list.getBoundingClientRect().top;
      const first = Array.from(list.querySelectorAll(':scope > article')).find((a) => a.getBoundingClientRect().bottom > top)!;
      return { id: first.getAttribute('data-id'), offset: Math.round(first.getBoundingClientRect().top - top) };
    });

  it('renders older messages ahead in idle time once the user scrolls up, up to a bound, and Page Up reaches the first', async () => {
    await h.send({ type: 'snapshot', busy: false, model, messages });
    await idlePeriods(3);
    assert.equal(await articles(), 40, 'pinned to the newest, nothing is rendered ahead');

    await h.page
      .locator('.messages > article')
      .last()
      .locator('.markdown')
      .click({ position: { x: 5, y: 5 } });
    // Far from the top nothing is needed yet; within the bound of screens it is.
    for (let i = 0; (await articles()) === 40; i++) {
      assert.ok(i < 100, 'older messages come in before the top of the rendered ones is reached');
      await h.page.keyboard.press('PageUp');
      await scrolled();
    }
    const before = await reading();
    // Rendering ahead stops at its bound: the count settles while the user does nothing.
    let settled = await articles();
    for (;;) {
      await idlePeriods(3);
      const now = await articles();
      if (now === settled) break;
      settled = now;
    }
    assert.ok(settled > 40 && settled < COUNT, `rendered ahead, but not everything (${settled} of ${COUNT})`);
    assert.deepEqual(await reading(), before, 'what the user reads stayed where it was');

    let presses = 0;
    const atFirst = () =>
      h.page.evaluate(() => !!document.querySelector('article[data-id="m0"]') && document.querySelector('.messages')!.scrollTop === 0);
    while (!(await atFirst())) {
      assert.ok(presses++ < 2_000, 'Page Up reaches the first message');
      await h.page.keyboard.press('PageUp');
    }
    assert.equal(await articles(), COUNT);
    const order = await h.page.$$eval('.messages > article', (all) => all.map((a) => Number(a.getAttribute('data-id')!.slice(1))));
    assert.deepEqual(
      order,
      messages.map((_, i) => i),
      'in order',
    );
    await h.page.screenshot({ path: join(shots, 'history-page-up-top.png') });
  });
});
