import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AnswerNote, MessageSnapshot } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

/*
 * The page, in the real bundle: the note under an answer whose prompt the server cut (issue #17 point 2),
 * with its buttons posting back to the host, and a compaction's summary shown collapsed with Undo (point 3).
 */

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });

const model = { endpoint: 'Ollama', model: 'qwen3:4b' };
const question: MessageSnapshot = { id: 'u1', role: 'user', text: 'What did we decide about the parser?', state: 'done', seq: 0 };
const note: AnswerNote = {
  kind: 'truncated',
  seen: 4096,
  sent: 9532,
  actions: [
    { kind: 'openSettings', label: 'Raise the context', setting: 'modelChat.ollama.numCtx' },
    { kind: 'compact', label: 'Compact conversation' },
  ],
};

describe('the truncation note and the summary in headless Chromium', () => {
  const h = new WebviewHarness();
  before(() => h.start());
  after(() => h.stop());
  beforeEach(async () => {
    await h.send({ type: 'busy', busy: false }, { type: 'snapshot', messages: [], busy: false, model });
    await h.clearPosted();
  });

  it('says the model saw only part of the conversation, N of M tokens, and its buttons post the note actions', async () => {
    await h.send(
      { type: 'messageAdded', message: question },
      { type: 'messageAdded', message: { id: 'a1', role: 'assistant', text: '', state: 'streaming', seq: 0 } },
      {
        type: 'delta',
        id: 'a1',
        seq: 1,
        text: 'I do not see a decision about the parser in our conversation.',
        end: { state: 'done', metrics: { promptTokens: 4096, completionTokens: 14, contextUsed: 1 } },
      },
      { type: 'note', id: 'a1', note },
    );
    const box = h.page.locator('article[data-id="a1"] [data-ui="truncated"]');
    await box.waitFor();
    assert.equal(await box.getAttribute('role'), 'note');
    assert.match((await box.textContent()) ?? '', /The model saw only part of the conversation: 4,096 of about 9,532 tokens/);
    assert.equal(
      (await h.page.locator('article[data-id="a1"] .markdown').textContent())?.trim(),
      'I do not see a decision about the parser in our conversation.',
      'the note is not part of the model’s text',
    );
    await h.page.screenshot({ path: join(shots, 'truncation-note.png') });
    await box.getByRole('button', { name: 'Raise the context' }).click();
    await box.getByRole('button', { name: 'Compact conversation' }).click();
    assert.deepEqual((await h.posted()).slice(-2), [
      { type: 'noteAction', messageId: 'a1', index: 0 },
      { type: 'noteAction', messageId: 'a1', index: 1 },
    ]);
    // A reload draws it from the snapshot the same way.
    await h.send({
      type: 'snapshot',
      busy: false,
      model,
      messages: [question, { id: 'a1', role: 'assistant', text: 'Answer.', state: 'done', seq: 1, note }],
    });
    assert.equal(await h.page.locator('article[data-id="a1"] [data-ui="truncated"] button').count(), 2);
  });

  it('shows a summary collapsed as "Summary of earlier messages", with Undo', async () => {
    const summary: MessageSnapshot = {
      id: 's1',
      role: 'assistant',
      text: '- The parser is hand-written.\n- Errors carry line numbers.',
      state: 'done',
      seq: 1,
      summary: { covers: 6 },
    };
    await h.send({
      type: 'snapshot',
      busy: false,
      model,
      messages: [
        { id: 'u0', role: 'user', text: 'Old question', state: 'done', seq: 0 },
        { id: 'a0', role: 'assistant', text: 'Old answer', state: 'done', seq: 1 },
        summary,
        question,
      ],
    });
    const frame = h.page.locator('article[data-id="s1"] details[data-ui="summary"]');
    await frame.waitFor();
    assert.equal(await frame.getAttribute('open'), null, 'collapsed');
    assert.equal((await frame.locator('summary').textContent())?.trim(), 'Summary of earlier messages (6)');
    assert.equal(await h.page.locator('article[data-id="s1"] .markdown').isVisible(), false);
    await frame.locator('summary').click();
    assert.equal(await h.page.locator('article[data-id="s1"] .markdown').isVisible(), true);
    await h.page.screenshot({ path: join(shots, 'summary-open.png') });
    await frame.getByRole('button', { name: 'Undo summary' }).click();
    assert.deepEqual((await h.posted()).at(-1), { type: 'undoSummary', id: 's1' });
  });
});
