import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { MessageSnapshot } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

/*
 * What the page says under an answer beside its text, in the real bundle: the pages it cites (Perplexity)
 * as links that open through the host, and an answer cut at the token limit, with Continue.
 */

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });

const model = { endpoint: 'Perplexity', model: 'sonar' };
const question: MessageSnapshot = { id: 'u1', role: 'user', text: 'How tall is Everest?', state: 'done', seq: 0 };
const sources = [
  { url: 'https://en.wikipedia.org/wiki/Mount_Everest', title: 'Mount Everest - Wikipedia' },
  { url: 'https://www.britannica.com/place/Mount-Everest' },
  { url: 'javascript:alert(1)', title: 'not a web page' },
];

describe('sources and the token-limit note in headless Chromium', () => {
  const h = new WebviewHarness();
  before(() => h.start());
  after(() => h.stop());
  beforeEach(async () => {
    await h.send({ type: 'busy', busy: false }, { type: 'snapshot', messages: [], busy: false, model });
    await h.clearPosted();
  });

  it('shows streamed sources as numbered links under the text, apart from it, opened through the host', async () => {
    await h.send(
      { type: 'messageAdded', message: question },
      { type: 'messageAdded', message: { id: 'a1', role: 'assistant', text: '', state: 'streaming', seq: 0 } },
      { type: 'sources', id: 'a1', sources },
      {
        type: 'delta',
        id: 'a1',
        seq: 1,
        text: 'Mount Everest is 8,849 m tall[1]. It lies on the border of Nepal and China[2].',
        end: { state: 'done' },
      },
    );
    const list = h.page.locator('article[data-id="a1"] [data-ui="sources"]');
    await list.waitFor();
    assert.equal(await list.getAttribute('aria-label'), 'Sources');
    const links = await list.locator('a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    assert.deepEqual(links, [
      ['Mount Everest - Wikipedia', 'https://en.wikipedia.org/wiki/Mount_Everest'],
      ['www.britannica.com', 'https://www.britannica.com/place/Mount-Everest'],
    ]);
    assert.equal(
      (await h.page.locator('article[data-id="a1"] .markdown').textContent())?.trim(),
      'Mount Everest is 8,849 m tall[1]. It lies on the border of Nepal and China[2].',
      'the model’s text stays apart from the list',
    );
    await h.page.screenshot({ path: join(shots, 'answer-sources.png') });
    await list.locator('a').first().click();
    assert.deepEqual((await h.posted()).at(-1), { type: 'openLink', href: 'https://en.wikipedia.org/wiki/Mount_Everest' });
    // A later list replaces the first; a snapshot (a reload) draws it the same.
    await h.send({ type: 'sources', id: 'a1', sources: sources.slice(0, 1) });
    assert.equal(await list.locator('a').count(), 1);
    await h.send({
      type: 'snapshot',
      busy: false,
      model,
      messages: [question, { id: 'a1', role: 'assistant', text: 'Tall[1].', state: 'done', seq: 1, sources }],
    });
    assert.equal(await h.page.locator('article[data-id="a1"] [data-ui="sources"] a').count(), 2);
  });

  it('says an answer was cut at the token limit, with Continue on the last answer only, hidden while busy', async () => {
    const cut = (id: string): MessageSnapshot => ({
      id,
      role: 'assistant',
      text: 'Here are the steps:\n\n1. Install the package\n2. Configure',
      state: 'done',
      seq: 1,
      cut: 'length',
    });
    await h.send({ type: 'messageAdded', message: question });
    await h.send({ type: 'messageAdded', message: { id: 'a1', role: 'assistant', text: '', state: 'streaming', seq: 0 } });
    await h.send({ type: 'delta', id: 'a1', seq: 1, text: cut('a1').text, end: { state: 'done', cut: 'length' } });
    const note = h.page.locator('article[data-id="a1"] [data-ui="cut"]');
    await note.waitFor();
    assert.match((await note.textContent())!, /token limit/);
    assert.equal(await h.page.locator('article[data-id="a1"]').getAttribute('data-state'), 'done');
    const button = note.locator('button[aria-label="Continue"]');
    assert.equal(await button.isVisible(), true);
    await h.page.screenshot({ path: join(shots, 'answer-cut.png') });
    await button.click();
    assert.deepEqual((await h.posted()).at(-1), { type: 'continue', id: 'a1' });
    await h.send({ type: 'busy', busy: true });
    assert.equal(await button.isVisible(), false, 'no second turn while one runs');
    await h.send({ type: 'busy', busy: false });
    // After a reload, and once a newer answer follows, only the newest answer offers Continue.
    await h.send({
      type: 'snapshot',
      busy: false,
      model,
      messages: [question, cut('a1'), { ...question, id: 'u2', text: 'Continue' }, cut('a2')],
    });
    assert.equal(await h.page.locator('article[data-id="a1"] [data-ui="cut"]').count(), 1, 'the note stays: that answer is still cut');
    assert.equal(await h.page.locator('article[data-id="a1"] button[aria-label="Continue"]').isVisible(), false);
    assert.equal(await h.page.locator('article[data-id="a2"] button[aria-label="Continue"]').isVisible(), true);
  });
});
