import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebviewHarness } from './harness';

/*
 * The start of a turn arrives as one `batch` (src/extension/chat/batchedPost.ts): the page handles its
 * messages in order, as if each had come alone, and the first token's compact delta finds its answer.
 */
describe('a batch of host messages in the real page', () => {
  const h = new WebviewHarness();
  before(() => h.start());
  after(() => h.stop());

  it('shows the question, the answer and busy from one batch, then streams into that answer', async () => {
    await h.send({ type: 'snapshot', messages: [], busy: false, model: { endpoint: 'Ollama', model: 'm' } });
    await h.send({
      type: 'batch',
      messages: [
        { type: 'messageAdded', message: { id: 'u1', role: 'user', text: 'Why is the sky blue?', state: 'done', seq: 0 } },
        {
          type: 'messageAdded',
          message: { id: 'a1', role: 'assistant', text: '', state: 'streaming', seq: 0, status: 'Waiting for the model…' },
        },
        { type: 'busy', busy: true },
        { type: 'context', chips: [], meter: { usedTokens: 12 } },
      ],
    });
    await h.send('1:Rayleigh');
    const page = h.page;
    await page.locator('article[data-role="assistant"] .markdown', { hasText: 'Rayleigh' }).waitFor();
    assert.deepEqual(await page.locator('article').evaluateAll((els) => els.map((e) => e.getAttribute('data-role'))), [
      'user',
      'assistant',
    ]);
    assert.equal(
      await page
        .locator('article[data-role="user"]')
        .innerText()
        .then((t) => t.includes('Why is the sky blue?')),
      true,
    );
    assert.equal(await page.locator('button[aria-label="Stop"]').isVisible(), true, 'busy from the batch shows Stop');
    assert.equal(await page.locator('article[data-role="assistant"] .status').isHidden(), true, 'the first token replaces the status');
  });
});
