import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ContextChipLabel, HostToWebview, MessageSnapshot } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

/*
 * Messages in the real page: long histories rendered a batch at a time, the toolbar (Copy, Edit,
 * Regenerate), inline editing, thinking and the context chips under questions. Everything goes through
 * main.ts's wiring: the toolbar's actions post copyMessage / editMessage / regenerate, `thinking` goes to
 * the list, and `busy` (and a snapshot's busy) hides Edit and Regenerate.
 */

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });

const model = { endpoint: 'Ollama', model: 'qwen3:latest' };
const user = (id: string, text: string, context?: ContextChipLabel[]): MessageSnapshot => ({
  id,
  role: 'user',
  text,
  state: 'done',
  seq: 0,
  context,
});
const answer = (id: string, text: string, extra: Partial<MessageSnapshot> = {}): MessageSnapshot => ({
  id,
  role: 'assistant',
  text,
  state: 'done',
  seq: 1,
  ...extra,
});
const streaming = (id: string): MessageSnapshot => ({ id, role: 'assistant', text: '', state: 'streaming', seq: 0 });

/** `count` items: questions and answers of varied length, with a tool call every 25 items. */
function conversation(count: number): MessageSnapshot[] {
  const items: MessageSnapshot[] = [];
  for (let i = 0; items.length < count; i++) {
    if (i % 25 === 24) {
      items.push({
        id: `t${i}`,
        role: 'tool',
        text: '',
        state: 'done',
        seq: 0,
        tool: { name: 'read_file', arguments: `{"path":"f${i}.ts"}`, state: 'done', result: { text: 'ok', isError: false } },
      });
    } else if (i % 2 === 0) {
      items.push(user(`m${i}`, `Question ${i}`));
    } else {
      items.push(
        answer(
          `m${i}`,
          `Answer ${i}.\n\n${'Some words to wrap over lines. '.repeat(1 + (i % 9) * 4)}${i % 4 === 1 ? '\n\n```ts\nconst x = 1;\n```\n' : ''}`,
        ),
      );
    }
  }
  return items;
}

describe('messages in headless Chromium', () => {
  const h = new WebviewHarness();
  before(() => h.start());
  after(() => h.stop());
  beforeEach(async () => {
    await h.send({ type: 'busy', busy: false }, { type: 'snapshot', messages: [], busy: false, model });
    await h.clearPosted();
  });

  const page = () => h.page;
  const list = () => h.page.locator('.messages');
  const frames = () => page().evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  /** Ids of the items in the DOM, in order. */
  const renderedIds = () =>
    list().evaluate((l) => Array.from(l.querySelectorAll<HTMLElement>(':scope > article, :scope > [data-tool]')).map((e) => e.dataset.id!));
  const gap = () => list().evaluate((l) => l.scrollHeight - l.scrollTop - l.clientHeight);
  const visibleButtons = (label: string) => page().locator(`article button[aria-label="${label}"]:visible`);

  it('opens 1,000 messages at once with only the newest rendered, and brings older ones back in order, without a jump', async () => {
    const messages = conversation(1000);
    const ms = await page().evaluate((m) => {
      const t = performance.now();
      window.dispatchEvent(
        new MessageEvent('message', { data: { type: 'snapshot', messages: m, busy: false, model: { endpoint: 'E', model: 'm' } } }),
      );
      return performance.now() - t;
    }, messages);
    await frames();
    let ids = await renderedIds();
    assert.ok(ids.length >= 30 && ids.length <= 80, `${ids.length} items rendered`);
    assert.ok(ms < 300, `the snapshot took ${ms.toFixed(0)} ms`);
    assert.deepEqual(
      ids,
      messages.slice(-ids.length).map((m) => m.id),
      'the newest items, in order',
    );
    assert.ok((await gap()) <= 2, 'at the bottom');
    assert.equal(ids.at(-1), messages.at(-1)!.id, 'the last message is there');

    await list().hover();
    await page().mouse.wheel(0, -200);
    // Reading back, idle time renders older items ahead, as many as an idle period allows (so more than a batch
    // between two looks on a quiet machine), but only so far above the screen: left alone, it stops short of all.
    let settled = (await renderedIds()).length;
    for (let still = 0, looks = 0; still < 10 && looks < 500; looks++) {
      await frames();
      const count = (await renderedIds()).length;
      still = count === settled ? still + 1 : 0;
      settled = count;
    }
    assert.ok(settled < messages.length / 2, `rendering ahead stopped at ${settled} of ${messages.length}`);
    ids = await renderedIds();
    for (let round = 0; round < 40 && ids[0] !== messages[0].id; round++) {
      // Reading at the top of what is rendered: the next batch goes in above, and what was on screen stays.
      const seen = await list().evaluate((l) => {
        l.scrollTop = 0;
        const first = l.querySelector<HTMLElement>(':scope > article, :scope > [data-tool]')!;
        return { id: first.dataset.id!, top: first.getBoundingClientRect().top };
      });
      await page().waitForFunction(
        (n) => document.querySelectorAll('.messages > article, .messages > [data-tool]').length > n,
        ids.length,
        { timeout: 5000 },
      );
      await frames();
      await frames();
      const top = await list().evaluate((l, id) => l.querySelector(`[data-id="${id}"]`)!.getBoundingClientRect().top, seen.id);
      assert.ok(Math.abs(top - seen.top) <= 1, `round ${round}: ${seen.id} moved from ${seen.top} to ${top}`);
      ids = await renderedIds();
    }
    assert.deepEqual(
      ids,
      messages.map((m) => m.id),
      'every message, in order',
    );
    const css = await page()
      .locator('article[data-id="m1"]')
      .evaluate((e) => [getComputedStyle(e).contentVisibility, getComputedStyle(e).containIntrinsicSize]);
    assert.deepEqual(css, ['auto', 'auto 120px']);
  });

  it('streams a new turn after a big snapshot, and updates a rendered tool card', async () => {
    const messages = conversation(1000);
    await h.send({ type: 'snapshot', messages, busy: false, model });
    const before = (await renderedIds()).length;
    const tool = messages.slice(-before).find((m) => m.role === 'tool')!;
    await h.send({ type: 'toolUpdate', id: tool.id, tool: { ...tool.tool!, state: 'error', result: { text: 'gone', isError: true } } });
    assert.equal(await page().locator(`[data-id="${tool.id}"]`).getAttribute('data-state'), 'error');

    await h.send(
      { type: 'messageAdded', message: user('q', 'One more') },
      { type: 'messageAdded', message: streaming('a') },
      { type: 'busy', busy: true },
    );
    await h.send(
      { type: 'delta', id: 'a', seq: 1, text: 'Hello ' },
      '2:**world**',
      { type: 'delta', id: 'a', seq: 3, text: '.', end: { state: 'done' } },
      { type: 'busy', busy: false },
    );
    await frames();
    assert.equal(await page().locator('article[data-id="a"]').getAttribute('data-state'), 'done');
    assert.equal(await page().locator('article[data-id="a"] .markdown').innerText(), 'Hello world.');
    assert.deepEqual((await renderedIds()).slice(-3), [messages.at(-1)!.id, 'q', 'a']);
    assert.equal((await renderedIds()).length, before + 2);
    assert.ok((await gap()) <= 2, 'still at the bottom');

    // A snapshot taken while an answer is being written: the compact updates go on where it left off.
    await h.send({
      type: 'snapshot',
      busy: true,
      model,
      messages: [...messages.slice(0, -1), { ...streaming('s'), text: 'So far', seq: 3, thinking: 'Hmm' }],
    });
    await h.send({ type: 'thinking', id: 's', text: ', yes' }, '4: and more', {
      type: 'delta',
      id: 's',
      seq: 5,
      text: '.',
      end: { state: 'done' },
    });
    await frames();
    assert.equal(await page().locator('article[data-id="s"] .markdown').innerText(), 'So far and more.');
    assert.equal(await page().locator('article[data-id="s"] .thinking-body').textContent(), 'Hmm, yes');
    assert.deepEqual(await h.posted(), [], 'no sequence gaps reported');
  });

  it('a new question and its answer are laid out at their real heights and scrolled to once, in the frame that draws them', async () => {
    // Prose only: a code block's highlighting lands in a later frame and changes its height.
    const earlier = Array.from({ length: 6 }, (_, i) => [
      user(`hq${i}`, `Question ${i}`),
      answer(`ha${i}`, `Answer ${i}. ${'Some words to wrap over lines. '.repeat(4 + i * 3)}`),
    ]).flat();
    await h.send({ type: 'snapshot', messages: earlier, busy: false, model });
    // The snapshot settles first (its messages go from the guessed height to their own over the first frames):
    // five frames in a row without the list's height or position changing.
    await page().evaluate(
      () =>
        new Promise<void>((resolve) => {
          const l = document.querySelector('.messages')!;
          let still = 0;
          let last = '';
          const tick = () => {
            const now = `${l.scrollHeight}:${l.scrollTop}`;
            still = now === last ? still + 1 : 0;
            last = now;
            if (still >= 5) resolve();
            else requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        }),
    );
    // What the host posts at the start of a turn, in one message, handed to the page in the same task that starts
    // counting frames (a frame between the two would be counted before the batch).
    const batch: HostToWebview = {
      type: 'batch',
      messages: [
        { type: 'messageAdded', message: user('q-new', 'One more question') },
        { type: 'messageAdded', message: { ...streaming('a-new'), status: 'Waiting for the model…' } },
        { type: 'busy', busy: true },
      ],
    };
    await page().evaluate((data) => {
      const w = window as any;
      const l = document.querySelector('.messages')!;
      w.__scrolls = [];
      w.__frames = 0;
      // Scroll events go out in a frame's rendering steps, before its animation frame callbacks: the frame count
      // at a scroll event is the number of frames before the one it went out in.
      l.addEventListener('scroll', () => w.__scrolls.push(w.__frames));
      // Nor does the page restyle the new messages frames later on its own (that frame, too, met the first token).
      w.__restyled = 0;
      new MutationObserver((records) => (w.__restyled += records.length)).observe(l, {
        subtree: true,
        attributes: true,
        attributeFilter: ['data-fresh'],
      });
      const count = () => {
        w.__frames++;
        if (w.__frames < 6) requestAnimationFrame(count);
      };
      requestAnimationFrame(count);
      window.dispatchEvent(new MessageEvent('message', { data }));
    }, batch);
    await page().waitForFunction(() => (window as any).__frames >= 6);
    const { scrolls, height, guess, restyled } = await page().evaluate(() => ({
      scrolls: (window as any).__scrolls as number[],
      restyled: (window as any).__restyled as number,
      height: document.querySelector<HTMLElement>('article[data-id="q-new"]')!.offsetHeight,
      guess: parseFloat(getComputedStyle(document.querySelector('article[data-id="q-new"]')!).containIntrinsicHeight.replace(/^auto /, '')),
    }));
    // Laid out at the guessed height (a skipped new message), the list scrolled to a wrong bottom and was put
    // right in the frame that drew them: its scroll event went out a frame later, ~16 ms on, about when a short
    // prompt's first token arrives.
    assert.deepEqual(scrolls, [0], 'one scroll event, in the first frame (frames before each scroll event)');
    assert.notEqual(height, guess, 'the question is not at the guessed height');
    assert.equal(restyled, 0, 'the new messages (marked as they went in) are not unmarked while the answer is starting');
    assert.ok((await gap()) <= 2, 'pinned to the bottom');
    await page().screenshot({ path: join(shots, 'new-turn-pinned.png') });
    await h.send({ type: 'delta', id: 'a-new', seq: 1, text: 'Done.', end: { state: 'done' } });
    await frames();
    const visibility = () =>
      page().evaluate(() =>
        ['q-new', 'a-new'].map((id) => getComputedStyle(document.querySelector(`article[data-id="${id}"]`)!).contentVisibility),
      );
    // On screen they stay as drawn: turning containment on for a long answer just finished cost a frame of its own.
    assert.deepEqual(await visibility(), ['visible', 'visible'], 'on screen at the end: left as drawn');
    // Off screen, they are skipped again once the page changes anyway: the next question.
    await list().evaluate((l) => l.scrollTo({ top: 0 }));
    await page().waitForFunction(() => {
      const l = document.querySelector('.messages')!.getBoundingClientRect();
      return document.querySelector('article[data-id="a-new"]')!.getBoundingClientRect().top > l.bottom;
    });
    await frames();
    await h.send({ type: 'messageAdded', message: user('q-after', 'And another') });
    assert.deepEqual(await visibility(), ['auto', 'auto'], 'once laid out and off screen, finished messages cost nothing there');
  });

  it('shows the empty state only while there are no messages', async () => {
    const empty = page().locator('.empty, .empty-state').first();
    assert.equal(await empty.isVisible(), true);
    await h.send({ type: 'messageAdded', message: user('u1', 'Hi') });
    assert.equal(await empty.isVisible(), false);
    await h.send({ type: 'snapshot', messages: [], busy: false, model });
    assert.equal(await empty.isVisible(), true);
  });

  it('puts Copy on questions and answers, Edit on questions, and posts them', async () => {
    await h.send({
      type: 'snapshot',
      busy: false,
      model,
      messages: [user('u1', 'Explain **this**\n\n- a'), answer('a1', 'First'), user('u2', 'More'), answer('a2', 'Second')],
    });
    await frames();
    const toolbar = page().locator('article[data-id="u1"] .message-actions');
    assert.equal(await toolbar.evaluate((e) => getComputedStyle(e).opacity), '0', 'quiet until hovered');
    await page().locator('article[data-id="u1"]').hover();
    await page().waitForFunction(() => getComputedStyle(document.querySelector('article[data-id="u1"] .message-actions')!).opacity === '1');
    assert.equal(await toolbar.locator('[data-ui]').count(), 0);
    assert.equal(await page().locator('.markdown .message-actions').count(), 0, 'the toolbar is outside .markdown');
    assert.equal(await page().locator('article[data-id="u1"] button[aria-label="Edit"] .codicon-edit').count(), 1);
    assert.equal(await page().locator('article[data-id="a1"] button[aria-label="Edit"]').count(), 0, 'answers are not edited');

    await page().locator('article[data-id="a1"] button[aria-label="Copy"]').click();
    await page().locator('article[data-id="u2"] button[aria-label="Copy"]').click();
    assert.deepEqual(await h.posted(), [
      { type: 'copyMessage', id: 'a1' },
      { type: 'copyMessage', id: 'u2' },
    ]);
  });

  it('reaches the toolbar by Tab, with a visible focus outline', async () => {
    await h.send({ type: 'snapshot', busy: false, model, messages: [user('u1', 'Hi'), answer('a1', 'Hello')] });
    await page().mouse.move(0, 0);
    await page().locator('article[data-id="u1"] button[aria-label="Copy"]').focus();
    await page().keyboard.press('Tab');
    const edit = page().locator('article[data-id="u1"] button[aria-label="Edit"]');
    assert.equal(await edit.evaluate((e) => e === document.activeElement && e.matches(':focus-visible')), true);
    await page().waitForFunction(() => getComputedStyle(document.querySelector('article[data-id="u1"] .message-actions')!).opacity === '1');
    const outline = await edit.evaluate((e) => {
      const probe = document.createElement('div');
      probe.style.color = 'var(--vscode-focusBorder)';
      document.body.append(probe);
      const focus = getComputedStyle(probe).color;
      probe.remove();
      return { style: getComputedStyle(e).outlineStyle, color: getComputedStyle(e).outlineColor, focus };
    });
    assert.equal(outline.style, 'solid');
    assert.equal(outline.color, outline.focus, 'the outline is the theme focus border');
  });

  it('edits a question in place: Enter sends, Shift+Enter adds a line, Escape cancels, empty is refused', async () => {
    await h.send({ type: 'snapshot', busy: false, model, messages: [user('u1', 'Explain **this**\n\n- a'), answer('a1', 'First')] });
    const article = page().locator('article[data-id="u1"]');
    await article.locator('button[aria-label="Edit"]').click();
    const box = article.locator('textarea[aria-label="Edit message"]');
    assert.equal(await box.inputValue(), 'Explain **this**\n\n- a', 'the markdown source, not the rendered text');
    assert.equal(await box.evaluate((e) => e === document.activeElement), true);
    assert.equal(await article.locator('.markdown').isVisible(), false);

    await box.press('Escape');
    assert.equal(await box.count(), 0);
    assert.equal(await article.locator('.markdown').isVisible(), true);
    assert.equal(
      await article.locator('button[aria-label="Edit"]').evaluate((e) => e === document.activeElement),
      true,
      'focus goes back to Edit',
    );
    assert.deepEqual(await h.posted(), [], 'Escape neither edits nor stops');

    await article.locator('button[aria-label="Edit"]').click();
    await box.fill('  ');
    assert.equal(await article.locator('button[aria-label="Send edited message"]').isDisabled(), true);
    await box.press('Enter');
    assert.deepEqual(await h.posted(), [], 'empty text is not sent');

    await box.fill('Explain that');
    await box.press('Shift+Enter');
    await box.pressSequentially('instead');
    await box.press('Enter');
    assert.deepEqual(await h.posted(), [{ type: 'editMessage', id: 'u1', text: 'Explain that\ninstead' }]);
    assert.equal(await box.count(), 0, 'the normal view is back until the host sends the new snapshot');
    assert.equal(await article.locator('.markdown strong').textContent(), 'this');

    await h.clearPosted();
    await article.locator('button[aria-label="Edit"]').click();
    await box.fill('By button');
    await article.locator('button[aria-label="Send edited message"]').click();
    await article.locator('button', { hasText: 'Cancel' }).waitFor({ state: 'detached' });
    assert.deepEqual(await h.posted(), [{ type: 'editMessage', id: 'u1', text: 'By button' }]);
  });

  it('an edit left open survives the view reloading (VS Code reloads a hidden webview), and ends when sent', async () => {
    const convo = { type: 'snapshot' as const, busy: false, model, messages: [user('u1', 'Original question'), answer('a1', 'First')] };
    await h.send(convo);
    const article = page().locator('article[data-id="u1"]');
    await article.locator('button[aria-label="Edit"]').click();
    const box = article.locator('textarea[aria-label="Edit message"]');
    await box.fill('Half-rewritten ques');
    await page().reload();
    await page().waitForFunction(() => (window as any).__posted?.length > 0);
    await h.send(convo);
    assert.equal(await box.inputValue(), 'Half-rewritten ques', 'the edit is back, with its text');
    await box.press('End');
    await box.pressSequentially('tion');
    await h.send(convo); // the host re-sends the conversation (the view was shown again): still there
    assert.equal(await box.inputValue(), 'Half-rewritten question');
    await box.press('Enter');
    assert.deepEqual(
      (await h.posted()).filter((m) => m.type === 'editMessage'),
      [{ type: 'editMessage', id: 'u1', text: 'Half-rewritten question' }],
    );
    await page().reload();
    await page().waitForFunction(() => (window as any).__posted?.length > 0);
    await h.send(convo);
    assert.equal(await box.count(), 0, 'a sent edit does not come back');
  });

  it('offers Regenerate on the last finished answer only, and neither Edit nor Regenerate while busy', async () => {
    await h.send({
      type: 'snapshot',
      busy: false,
      model,
      messages: [user('u1', 'One'), answer('a1', 'First'), user('u2', 'Two'), answer('a2', 'Second', { state: 'stopped' })],
    });
    const regenerateOn = () =>
      visibleButtons('Regenerate').evaluateAll((bs) => bs.map((b) => b.closest('article')!.getAttribute('data-id')));
    await page().locator('article[data-id="a2"]').hover();
    assert.deepEqual(await regenerateOn(), ['a2']);
    assert.equal(await page().locator('article[data-id="a2"] button[aria-label="Regenerate"] .codicon-refresh').count(), 1);
    await page().locator('article[data-id="a2"] button[aria-label="Regenerate"]').click();
    assert.deepEqual(await h.posted(), [{ type: 'regenerate', id: 'a2' }]);

    await h.send({ type: 'busy', busy: true });
    assert.deepEqual(await regenerateOn(), [], 'hidden while a turn runs');
    assert.equal(await visibleButtons('Edit').count(), 0);
    assert.equal(await page().locator('article button[aria-label="Edit"]:not([disabled])').count(), 0);
    assert.equal(await visibleButtons('Copy').count(), 4, 'Copy stays');

    await h.send(
      { type: 'messageAdded', message: user('u3', 'Three') },
      { type: 'messageAdded', message: streaming('a3') },
      { type: 'busy', busy: false },
    );
    assert.deepEqual(await regenerateOn(), [], 'not while the last answer is still being written');
    await h.send({ type: 'delta', id: 'a3', seq: 1, text: 'Third', end: { state: 'error', error: { message: 'Failed.', actions: [] } } });
    assert.deepEqual(await regenerateOn(), ['a3'], 'only the last answer, once it has ended');
    assert.equal(await visibleButtons('Edit').count(), 3);

    await h.send({ type: 'snapshot', busy: true, model, messages: [user('u1', 'One'), answer('a1', 'First')] });
    assert.deepEqual(await regenerateOn(), [], 'a busy snapshot offers nothing either');
    assert.equal(await visibleButtons('Edit').count(), 0);
  });

  it('streams thinking into a collapsed block above the answer, as inert text', async () => {
    await h.send(
      { type: 'messageAdded', message: user('u1', 'Hi') },
      { type: 'messageAdded', message: streaming('a1') },
      { type: 'busy', busy: true },
    );
    await h.send(
      { type: 'thinking', id: 'a1', text: 'First, <img src=x onerror="window.__pwned=1"> ' },
      { type: 'thinking', id: 'a1', text: 'then\n**not markdown**' },
    );
    const article = page().locator('article[data-id="a1"]');
    const details = article.locator('details.thinking');
    assert.equal(await details.count(), 1);
    assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), false, 'collapsed');
    assert.equal(
      await details.evaluate(
        (d) =>
          d.parentElement!.matches('article') &&
          !!(d.compareDocumentPosition(d.parentElement!.querySelector(':scope > .markdown')!) & Node.DOCUMENT_POSITION_FOLLOWING),
      ),
      true,
      'a child of the article, above .markdown',
    );
    assert.equal(await article.locator('.markdown details, .markdown .thinking-body').count(), 0);
    assert.equal(await details.locator('summary').textContent(), 'Thinking…');
    assert.equal(await details.locator('summary .codicon-loading').count(), 1);
    const body = details.locator('.thinking-body');
    assert.equal(await body.textContent(), 'First, <img src=x onerror="window.__pwned=1"> then\n**not markdown**');
    assert.equal(await article.locator('img, strong').count(), 0, 'text, never HTML or markdown');

    await details.locator('summary').click();
    assert.equal(await body.isVisible(), true);
    assert.equal(await body.evaluate((e) => getComputedStyle(e).whiteSpace), 'pre-wrap');
    await h.send({ type: 'delta', id: 'a1', seq: 1, text: 'The answer.' });
    assert.equal(await details.locator('summary').textContent(), 'Thinking');
    assert.equal(await details.locator('summary .codicon-loading').count(), 0, 'the answer has begun');
    await h.send({ type: 'delta', id: 'a1', seq: 2, text: '', end: { state: 'done' } }, { type: 'busy', busy: false });
    await frames();
    assert.equal(await article.locator('.markdown').innerText(), 'The answer.');
    assert.equal(await page().evaluate(() => (window as any).__pwned), undefined);

    await h.send({
      type: 'snapshot',
      busy: false,
      model,
      messages: [user('u1', 'Hi'), answer('a1', 'Done.', { thinking: 'Earlier reasoning' }), answer('a2', 'No reasoning here.')],
    });
    assert.equal(
      await page().locator('article[data-id="a1"] details.thinking:not([open]) .thinking-body').textContent(),
      'Earlier reasoning',
    );
    assert.equal(await page().locator('article[data-id="a1"] details.thinking summary').textContent(), 'Thinking');
    assert.equal(await page().locator('article[data-id="a2"] details.thinking').count(), 0, 'only when there is thinking');
  });

  it('shows what went with a question as read-only chips under it', async () => {
    const context: ContextChipLabel[] = [
      { kind: 'selection', label: 'main.ts:3-9', tokens: 120 },
      { kind: 'activeFile', label: 'main.ts', tokens: 2400 },
      { kind: 'file', label: '<b>odd</b>.md', tokens: 12 },
      { kind: 'problems', label: '2 problems', tokens: 1234 },
      { kind: 'instructions', label: 'AGENTS.md', tokens: 300 },
    ];
    await h.send({ type: 'snapshot', busy: false, model, messages: [user('u1', 'Why?', context), answer('a1', 'Because.')] });
    const row = page().locator('article[data-id="u1"] > .message-context');
    const chips = await row
      .locator('.message-chip')
      .evaluateAll((cs) =>
        cs.map((c) => ({ icon: c.querySelector('.codicon')!.className, text: c.textContent, title: c.getAttribute('title') })),
      );
    assert.deepEqual(chips, [
      { icon: 'codicon codicon-selection', text: 'main.ts:3-9', title: '~120 tokens' },
      { icon: 'codicon codicon-file', text: 'main.ts', title: '~2,400 tokens' },
      { icon: 'codicon codicon-file', text: '<b>odd</b>.md', title: '~12 tokens' },
      { icon: 'codicon codicon-warning', text: '2 problems', title: '~1,234 tokens' },
      { icon: 'codicon codicon-book', text: 'AGENTS.md', title: '~300 tokens' },
    ]);
    assert.equal(await row.locator('button, b').count(), 0, 'read-only, and labels are text');
    assert.equal(
      await row.evaluate((r) => !!r.previousElementSibling?.matches('.markdown')),
      true,
      'under the question, outside .markdown',
    );
    assert.equal(await page().locator('article[data-id="a1"] .message-context').count(), 0);
  });

  it('uses theme colours only', () => {
    const css = readFileSync(join(__dirname, '..', '..', 'media', 'messages.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const values = Array.from(css.matchAll(/[\w-]+\s*:\s*([^;{}]+)/g), (m) => m[0]);
    const hardCoded = values.filter((d) => /#[0-9a-f]{3,8}\b|\b(rgb|hsl)a?\(|:.*\b(white|black|red|green|blue|gray|grey)\b/i.test(d));
    assert.deepEqual(hardCoded, []);
  });
});

describe('messages at 250 px wide', () => {
  const h = new WebviewHarness();
  before(() => h.start({ width: 250, height: 500 }));
  after(() => h.stop());

  it('fits everything without sideways scrolling', async () => {
    const context: ContextChipLabel[] = [
      { kind: 'selection', label: 'src/webview/aVeryLongFileNameIndeed.ts:120-190', tokens: 1500 },
      { kind: 'problems', label: '3 problems', tokens: 80 },
    ];
    await h.send({
      type: 'snapshot',
      busy: false,
      model,
      messages: [
        user('u1', 'A question with a_very_long_unbroken_identifier_that_must_wrap_somewhere_in_a_narrow_view', context),
        answer('a1', 'An answer with `code` and a list:\n\n- one\n- two', {
          thinking: 'Reasoning that is rather long and goes on for a while, with a path/that/does/not/break/easily/at/all.',
        }),
      ],
    });
    await h.page.locator('article[data-id="a1"] details.thinking summary').click();
    await h.page.locator('article[data-id="u1"]').hover();
    await h.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const fit = await h.page.evaluate(() => {
      const l = document.querySelector('.messages')!;
      const box = l.getBoundingClientRect();
      const outside = Array.from(l.querySelectorAll('article *'))
        .filter((e) => {
          const r = e.getBoundingClientRect();
          return r.width > 0 && (r.right > box.right + 0.5 || r.left < box.left - 0.5);
        })
        .map((e) => e.className || e.tagName);
      return { sideways: l.scrollWidth - l.clientWidth, outside };
    });
    assert.deepEqual(fit, { sideways: 0, outside: [] });
    await h.page.screenshot({ path: join(shots, 'messages-250.png') });
    await h.page.locator('article[data-id="u1"] button[aria-label="Edit"]').click();
    await h.page.screenshot({ path: join(shots, 'messages-250-edit.png') });
    const editor = await h.page
      .locator('.message-editor')
      .evaluate((e) => e.getBoundingClientRect().right <= document.querySelector('.messages')!.getBoundingClientRect().right);
    assert.equal(editor, true);
  });
});
