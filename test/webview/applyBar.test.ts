/**
 * The page's side of Apply (issue 18): the Apply button sends the block with its info string, the line
 * before it and its answer; the review bar and an answer's Undo button follow what the host posts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });

const ANSWER = 'In `src/util.ts`:\n\n```ts\nexport const a = 1;\n```\n\n```ts src/app.ts\nexport const b = 2;\n```\n';

describe('Apply, review and undo in the page', () => {
  const h = new WebviewHarness();
  before(() => h.start());
  after(() => h.stop());
  beforeEach(() =>
    h.send({
      type: 'snapshot',
      messages: [
        { id: 'u1', role: 'user', text: 'Change both', state: 'done', seq: 0 },
        { id: 'a1', role: 'assistant', text: ANSWER, state: 'done', seq: 0 },
      ],
      busy: false,
      model: { endpoint: 'E', model: 'm' },
    } as never),
  );

  it('Apply posts the code, its fence info, the line before it and the answer it is in', async () => {
    const pres = h.page.locator('article[data-id="a1"] .markdown pre');
    await pres.nth(1).waitFor();
    await h.clearPosted();
    for (const i of [0, 1]) {
      await pres.nth(i).hover();
      await pres.nth(i).locator('[data-ui] button[aria-label="Apply"]').click();
    }
    assert.deepEqual(await h.posted(), [
      { type: 'applyCode', text: 'export const a = 1;\n', info: 'ts', before: 'In src/util.ts:', messageId: 'a1' },
      { type: 'applyCode', text: 'export const b = 2;\n', info: 'ts src/app.ts', messageId: 'a1' },
    ]);
  });

  it('shows the pending reviews with Accept and Reject, and Accept all only for several', async () => {
    const bar = h.page.locator('[role="region"][aria-label="Proposed changes"]');
    await h.send({ type: 'editReviews', reviews: [{ id: '1', file: 'src/app.ts', label: 'Apply to src/app.ts' }] });
    await bar.locator('button[aria-label="Accept"]').waitFor();
    assert.equal(await bar.locator('button[aria-label="Accept all"]').count(), 0);
    await h.send({
      type: 'editReviews',
      reviews: [
        { id: '1', file: 'src/app.ts', label: 'Apply to src/app.ts' },
        { id: '2', file: 'src/util.ts', label: 'Apply to src/util.ts', note: 'The file changed since the answer.' },
      ],
    });
    await bar.locator('button[aria-label="Accept all"]').waitFor();
    assert.equal(await bar.locator('button[aria-label="Reject"]').count(), 2);
    await h.page.screenshot({ path: join(shots, 'edit-review-bar.png') });
    await h.clearPosted();
    await bar.locator('[data-review="2"] button[aria-label="Reject"]').click();
    await bar.locator('[data-review="1"] button[aria-label="Accept"]').click();
    await bar.locator('button[aria-label="Accept all"]').click();
    assert.deepEqual(await h.posted(), [
      { type: 'editReview', action: 'reject', id: '2' },
      { type: 'editReview', action: 'accept', id: '1' },
      { type: 'editReview', action: 'acceptAll' },
    ]);
    await h.send({ type: 'editReviews', reviews: [] });
    await bar.waitFor({ state: 'hidden' });
  });

  it('puts "Undo changes of this answer" on the answers the host names, also when they are drawn again', async () => {
    const undo = h.page.locator('article[data-id="a1"] button[aria-label="Undo changes of this answer"]');
    await h.send({ type: 'turnChanges', turns: [{ messageId: 'a1', files: ['src/app.ts'] }] });
    await undo.waitFor();
    assert.equal(await h.page.locator('article[data-id="u1"] [data-undo-turn]').count(), 0);
    await h.clearPosted();
    await undo.click();
    assert.deepEqual(await h.posted(), [{ type: 'undoTurn', messageId: 'a1' }]);
    // A reload draws the answer anew: the button comes back with it.
    await h.send({
      type: 'snapshot',
      messages: [{ id: 'a1', role: 'assistant', text: ANSWER, state: 'done', seq: 0 }],
      busy: false,
      model: { endpoint: 'E', model: 'm' },
    } as never);
    await undo.waitFor();
    await h.send({ type: 'turnChanges', turns: [] });
    await undo.waitFor({ state: 'detached' });
  });

  it("puts a turn's Undo under its last answer, past rounds that only called tools (hidden)", async () => {
    const card = (id: string) => ({
      id,
      role: 'tool',
      text: '',
      state: 'done',
      seq: 0,
      tool: { name: 'propose_edit', server: 'workspace', arguments: '{}', state: 'done', result: { text: 'accepted' } },
    });
    await h.send({
      type: 'snapshot',
      messages: [
        { id: 'u1', role: 'user', text: 'Fix it', state: 'done', seq: 0 },
        { id: 'r1', role: 'assistant', text: '', state: 'done', seq: 0 },
        card('t1'),
        { id: 'r2', role: 'assistant', text: 'Changed src/app.ts.', state: 'done', seq: 0 },
        { id: 'u2', role: 'user', text: 'Thanks', state: 'done', seq: 0 },
        { id: 'r3', role: 'assistant', text: 'You are welcome.', state: 'done', seq: 0 },
      ],
      busy: false,
      model: { endpoint: 'E', model: 'm' },
    } as never);
    await h.send({ type: 'turnChanges', turns: [{ messageId: 'r1', files: ['src/app.ts'] }] });
    const undo = h.page.locator('button[aria-label="Undo changes of this answer"]');
    await h.page.locator('article[data-id="r2"] button[aria-label="Undo changes of this answer"]').waitFor();
    assert.equal(await undo.count(), 1);
    assert.equal(await undo.isVisible(), true);
    await h.clearPosted();
    await undo.click();
    assert.deepEqual(await h.posted(), [{ type: 'undoTurn', messageId: 'r1' }]);
    await h.send({ type: 'turnChanges', turns: [] });
    await undo.waitFor({ state: 'detached' });
  });
});
