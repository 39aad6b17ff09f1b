import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { MessageSnapshot } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });

const user = (id: string, text: string): MessageSnapshot => ({ id, role: 'user', text, state: 'done', seq: 0 });
const assistant = (id: string): MessageSnapshot => ({
  id,
  role: 'assistant',
  text: '',
  state: 'streaming',
  seq: 0,
  status: 'Waiting for the model…',
});
const model = { endpoint: 'Ollama', model: 'llama3.2:latest' };

describe('chat webview in headless Chromium', () => {
  const h = new WebviewHarness();
  before(() => h.start());
  after(() => h.stop());
  beforeEach(async () => {
    await h.send({ type: 'snapshot', messages: [], busy: false, model });
    await h.clearPosted();
  });

  const page = () => h.page;
  // Finished messages use content-visibility: auto, which lays them out on the next frame: read after it.
  const frames = () => page().evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const visible = (label: string) => page().locator(`button[aria-label="${label}"]`).isVisible();

  it('announces itself to the host with ready, under the strict CSP, loading nothing from outside', async () => {
    const h2 = new WebviewHarness();
    await h2.start();
    try {
      assert.deepEqual((await h2.posted())[0], { type: 'ready' });
      assert.deepEqual(h2.foreignRequests, []);
    } finally {
      await h2.stop();
    }
  });

  it('shows the streamed text as markdown and switches Send and Stop', async () => {
    await h.send(
      { type: 'messageAdded', message: user('u1', 'Explain **markdown**') },
      { type: 'messageAdded', message: assistant('a1') },
      { type: 'busy', busy: true },
    );
    const answer = page().locator('article[data-role="assistant"]');
    assert.equal(await answer.getAttribute('data-state'), 'streaming');
    assert.match(await answer.locator('.status').innerText(), /Waiting for the model/);
    assert.equal(await visible('Stop'), true);
    assert.equal(await page().locator('button[aria-label="Stop"]').isEnabled(), true);
    assert.equal(await visible('Send'), false);

    const parts = ['# Title\n\nSome ', '**bold', '** text and `code`.\n\n', '```js\nconst a = 1;\n', '```\n\n- one\n- two\n'];
    for (const [i, text] of parts.entries()) await h.send({ type: 'delta', id: 'a1', seq: i + 1, text });
    assert.equal(await answer.locator('.status').isVisible(), false, 'status goes once text arrives');
    assert.equal(await answer.locator('.markdown h1').innerText(), 'Title');
    assert.equal(await answer.locator('.markdown strong').innerText(), 'bold');
    assert.equal(await answer.locator('.markdown pre code').innerText(), 'const a = 1;\n');
    assert.equal(await answer.locator('.markdown li').count(), 2);
    await page().screenshot({ path: join(shots, 'streaming.png') });

    await h.send({
      type: 'warning',
      id: 'a1',
      warning: "This conversation is about 9,000 tokens, close to or over the model's context of 8,192.",
    });
    assert.match((await answer.locator('.warning').textContent()) ?? '', /about 9,000 tokens/);
    await h.send(
      {
        type: 'delta',
        id: 'a1',
        seq: parts.length + 1,
        text: 'Done.',
        end: {
          state: 'done',
          metrics: { firstTokenMs: 420, tokensPerSecond: 41.5, promptTokens: 26, completionTokens: 298, contextUsed: 0.04 },
        },
      },
      { type: 'busy', busy: false },
    );
    assert.equal(await answer.getAttribute('data-state'), 'done');
    await frames();
    assert.equal(await visible('Send'), true);
    assert.equal(await visible('Stop'), false);
    assert.match(await answer.locator('.markdown').innerText(), /Done\.$/);
    assert.equal(await answer.locator('.metrics').textContent(), '0.42 s to first token · 41.5 tokens/s · 26 in · 298 out · 4% of context');
    assert.equal(await page().locator('article[data-role="user"] .markdown strong').innerText(), 'markdown');
    await page().screenshot({ path: join(shots, 'done.png') });
  });

  it('posts stop when Stop is pressed, and on Escape in the message box', async () => {
    await h.send(
      { type: 'messageAdded', message: user('u1', 'Hi') },
      { type: 'messageAdded', message: assistant('a1') },
      { type: 'busy', busy: true },
    );
    await page().click('button[aria-label="Stop"]');
    await page().focus('textarea[aria-label="Message"]');
    await page().keyboard.press('Escape');
    assert.deepEqual(await h.posted(), [{ type: 'stop' }, { type: 'stop' }]);
    await h.send({ type: 'delta', id: 'a1', seq: 1, text: 'Part', end: { state: 'stopped' } }, { type: 'busy', busy: false });
    assert.equal(await page().locator('article[data-role="assistant"]').getAttribute('data-state'), 'stopped');
    await frames();
    assert.equal(await page().locator('article[data-role="assistant"] .markdown').innerText(), 'Part');
  });

  it('Enter while an answer is written sends nothing, keeps the text and says why; once it ends, Enter sends', async () => {
    await h.send(
      { type: 'messageAdded', message: user('u9', 'Hi') },
      { type: 'messageAdded', message: assistant('a9') },
      { type: 'busy', busy: true },
    );
    await h.clearPosted();
    const box = page().locator('textarea[aria-label="Message"]');
    await box.fill('And then?');
    await box.press('Enter');
    assert.deepEqual(await h.posted(), [], 'nothing is sent while the answer runs');
    assert.equal(await box.inputValue(), 'And then?');
    const notice = page().locator('[role="status"] .notice-text');
    await notice.waitFor();
    assert.match((await notice.textContent())!, /still being written.*stays here/);
    await page().screenshot({ path: join(shots, 'still-answering.png') });
    await h.send({ type: 'delta', id: 'a9', seq: 1, text: 'Done.', end: { state: 'done' } }, { type: 'busy', busy: false });
    // Sooner than the notice's own 10 s: the turn's end takes it away.
    await notice.waitFor({ state: 'detached', timeout: 2_000 });
    await box.press('Enter');
    assert.deepEqual(await h.posted(), [{ type: 'send', text: 'And then?' }]);
    assert.equal(await box.inputValue(), '');
  });

  it('the notice goes when another conversation, with no answer running, is shown', async () => {
    await h.send(
      { type: 'messageAdded', message: user('u8', 'Hi') },
      { type: 'messageAdded', message: assistant('a8') },
      { type: 'busy', busy: true },
    );
    const box = page().locator('textarea[aria-label="Message"]');
    await box.fill('Kept');
    await box.press('Enter');
    const notice = page().locator('[role="status"] .notice-text');
    await notice.waitFor();
    await h.send({ type: 'snapshot', busy: false, model, messages: [user('u7', 'Older conversation')] });
    await notice.waitFor({ state: 'detached', timeout: 2_000 });
    assert.equal(await box.inputValue(), 'Kept');
  });

  it('Enter in an edit of an earlier question while an answer is written keeps the edit and says why', async () => {
    const done = (id: string, text: string): MessageSnapshot => ({ id, role: 'assistant', text, state: 'done', seq: 0 });
    await h.send({ type: 'snapshot', busy: false, model, messages: [user('u1', 'First question'), done('a1', 'First answer')] });
    const article = page().locator('article[data-id="u1"]');
    await article.locator('button[aria-label="Edit"]').click();
    const edit = article.locator('textarea[aria-label="Edit message"]');
    await edit.fill('First question, rewritten');
    // Meanwhile a question sent from the message box is being answered.
    await h.send(
      { type: 'messageAdded', message: user('u2', 'Second question') },
      { type: 'messageAdded', message: assistant('a2') },
      { type: 'busy', busy: true },
    );
    await h.clearPosted();
    await edit.press('Enter');
    assert.deepEqual(await h.posted(), [], 'nothing is sent while the answer runs');
    assert.equal(await edit.inputValue(), 'First question, rewritten', 'the edit stays open with its text');
    const notice = page().locator('[role="status"] .notice-text');
    await notice.waitFor();
    assert.match((await notice.textContent())!, /still being written.*edit stays here/);
    await page().screenshot({ path: join(shots, 'still-answering-edit.png') });
    await h.send({ type: 'delta', id: 'a2', seq: 1, text: 'Done.', end: { state: 'done' } }, { type: 'busy', busy: false });
    // Sooner than the notice's own 10 s: the turn's end takes it away.
    await notice.waitFor({ state: 'detached', timeout: 2_000 });
    await edit.press('Enter');
    assert.deepEqual(await h.posted(), [{ type: 'editMessage', id: 'u1', text: 'First question, rewritten' }]);
  });

  it('Enter sends the text and clears the box; Shift+Enter adds a line; a refused send puts the text back', async () => {
    const box = page().locator('textarea[aria-label="Message"]');
    await box.fill('first line');
    await box.press('Shift+Enter');
    await box.pressSequentially('second line');
    assert.equal(await box.inputValue(), 'first line\nsecond line');
    await box.press('Enter');
    assert.deepEqual(await h.posted(), [{ type: 'send', text: 'first line\nsecond line' }]);
    assert.equal(await box.inputValue(), '');
    await h.send({ type: 'sendRefused', text: 'first line\nsecond line', reason: 'busy' });
    assert.equal(await box.inputValue(), 'first line\nsecond line');
    await box.fill('   ');
    await h.clearPosted();
    await box.press('Enter');
    assert.deepEqual(await h.posted(), [], 'blank text is not sent');
  });

  it('Up in an empty box recalls earlier questions, Down goes back; typed text is never replaced', async () => {
    const box = page().locator('textarea[aria-label="Message"]');
    for (const q of ['first question', 'second question']) {
      await box.fill(q);
      await box.press('Enter');
    }
    await box.press('ArrowUp');
    assert.equal(await box.inputValue(), 'second question');
    await box.press('ArrowUp');
    assert.equal(await box.inputValue(), 'first question');
    await box.press('ArrowDown');
    assert.equal(await box.inputValue(), 'second question');
    await box.press('ArrowDown');
    assert.equal(await box.inputValue(), '');
    await box.fill('my own text');
    await box.press('ArrowUp');
    assert.equal(await box.inputValue(), 'my own text');
    await box.fill('');
  });

  it('keeps the draft across a reload of the page', async () => {
    await page().locator('textarea[aria-label="Message"]').fill('half-typed question');
    await page().reload();
    await page().waitForFunction(() => (window as any).__posted?.length > 0);
    assert.equal(await page().locator('textarea[aria-label="Message"]').inputValue(), 'half-typed question');
    await page().locator('textarea[aria-label="Message"]').fill('');
  });

  it('applies compact string updates to the answer being written', async () => {
    await h.send(
      { type: 'messageAdded', message: user('u1', 'Hi') },
      { type: 'messageAdded', message: assistant('a1') },
      '1:Hello, ',
      '2:**wor',
      '3:ld**: a:b',
    );
    const md = page().locator('article[data-id="a1"] .markdown');
    assert.equal(((await md.textContent()) ?? '').trim(), 'Hello, world: a:b');
    await h.send({ type: 'delta', id: 'a1', seq: 4, text: '!', end: { state: 'done' } });
    assert.equal(await page().locator('article[data-id="a1"]').getAttribute('data-state'), 'done');
    await h.send('5:late');
    const posted = await h.posted();
    assert.equal(posted.length, 2, 'an update with no answer being written is reported, not applied');
    assert.match((posted[0] as { message: string }).message, /no answer is being written/);
  });

  it('reports a gap in the delta sequence to the host and asks for a fresh snapshot', async () => {
    await h.send(
      { type: 'messageAdded', message: assistant('a1') },
      { type: 'delta', id: 'a1', seq: 1, text: 'one ' },
      { type: 'delta', id: 'a1', seq: 3, text: 'three' },
    );
    const posted = await h.posted();
    assert.equal(posted[0].type, 'log');
    assert.match((posted[0] as { message: string }).message, /expected delta 2, got 3/);
    assert.deepEqual(posted[1], { type: 'ready' });
    assert.equal(
      await page().locator('article[data-role="assistant"] .markdown').innerText(),
      'one',
      'the out-of-order text is not applied',
    );
  });

  it('shows an error with its actions, and posts the chosen action', async () => {
    await h.send(
      { type: 'messageAdded', message: user('u1', 'Hi') },
      { type: 'messageAdded', message: assistant('a1') },
      {
        type: 'delta',
        id: 'a1',
        seq: 1,
        text: '',
        end: {
          state: 'error',
          error: {
            message: "The model 'x' is not installed. Download it with `ollama pull x`.",
            actions: [
              { kind: 'pullModel', label: 'Run ollama pull x', model: 'x' },
              { kind: 'showLog', label: 'Show log' },
            ],
          },
        },
      },
    );
    const err = page().locator('article[data-state="error"] .error');
    await frames();
    assert.match(await err.innerText(), /not installed/);
    assert.equal(await err.locator('code').innerText(), 'ollama pull x');
    await page().screenshot({ path: join(shots, 'error.png') });
    await err.getByRole('button', { name: 'Show log' }).click();
    assert.deepEqual(await h.posted(), [{ type: 'errorAction', messageId: 'a1', index: 1 }]);
  });

  it('opens links through the host and never renders raw HTML from the model', async () => {
    await h.send(
      { type: 'messageAdded', message: assistant('a1') },
      {
        type: 'delta',
        id: 'a1',
        seq: 1,
        text: 'See [docs](https://example.com/x) <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> [bad](javascript:alert(1))',
        end: { state: 'done' },
      },
    );
    const md = page().locator('article[data-role="assistant"] .markdown');
    await frames();
    assert.equal(await md.locator('img, script').count(), 0);
    assert.match(await md.innerText(), /<img src=x onerror/);
    assert.equal(await md.locator('a[href^="javascript"]').count(), 0);
    await md.getByRole('link', { name: 'docs' }).click();
    assert.deepEqual(await h.posted(), [{ type: 'openLink', href: 'https://example.com/x' }]);
    assert.match(page().url(), /index\.html$/, 'the page did not navigate');
    assert.equal(await page().evaluate(() => (window as any).__pwned), undefined);
  });

  it('replaces everything with a snapshot (the view shown again) and continues from its sequence number', async () => {
    await h.send({ type: 'messageAdded', message: user('old', 'stale') });
    await h.send({
      type: 'snapshot',
      busy: true,
      model,
      messages: [user('u1', 'Q'), { id: 'a1', role: 'assistant', text: 'Already ', state: 'streaming', seq: 5 }],
    });
    await h.send({ type: 'delta', id: 'a1', seq: 6, text: 'here.' });
    assert.equal(await page().locator('article').count(), 2);
    assert.equal(await page().locator('article[data-role="assistant"] .markdown').innerText(), 'Already here.');
    assert.equal(await visible('Stop'), true);
    assert.match(await page().locator('.model-picker').innerText(), /Ollama · llama3\.2:latest/);
    await h.clearPosted();
    await page().locator('.model-picker').click();
    assert.deepEqual(await h.posted(), [{ type: 'selectModel' }], 'the header opens Select model');
  });
});
