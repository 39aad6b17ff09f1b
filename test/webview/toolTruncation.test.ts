/**
 * Issue 13: a tool result cut to fit the chat says so on its card, outside the collapsed part, and offers
 * the full text, which the host opens from its own storage.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ToolCallInfo } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });

describe('a truncated tool result in headless Chromium', () => {
  const h = new WebviewHarness();
  before(async () => {
    await h.start();
    await h.send({ type: 'snapshot', messages: [], busy: true, model: { endpoint: 'E', model: 'm' } });
  });
  after(() => h.stop());

  const fileId = '3b241101-e2bb-4255-8caf-4136c566a962';
  const tool: ToolCallInfo = {
    name: 'flood',
    server: 'hostile',
    arguments: '{}',
    state: 'done',
    durationMs: 900,
    result: {
      text: `${'x'.repeat(99)}\n`.repeat(655) + '\n[Result truncated: the tool returned 2.3 MB of text; only the first 64 KB are shown.]',
      isError: false,
      truncated: { originalBytes: 2.3 * 1024 * 1024, keptBytes: 64 * 1024, fileId },
    },
  };
  const card = () => h.page.locator('[data-tool="flood"]');

  it('shows "truncated: 2.3 MB → 64 KB" while the result itself is collapsed, and opens the full result through the host', async () => {
    await h.send({ type: 'messageAdded', message: { id: 't1', role: 'tool', text: '', state: 'done', seq: 0, tool } });
    assert.equal(await card().locator('details.tool-result').getAttribute('open'), null, 'the long result is collapsed');
    const note = card().locator('[role="note"]');
    assert.equal(await note.isVisible(), true, 'the note is visible without expanding anything');
    assert.match((await note.textContent()) ?? '', /truncated: 2\.3 MB → 64 KB/);
    await card().screenshot({ path: join(shots, 'tool-truncated.png') });
    await h.clearPosted();
    await card().getByRole('button', { name: 'Open the full result of flood' }).click();
    assert.deepEqual(await h.posted(), [{ type: 'openToolResult', fileId }]);
  });

  it('says when images were left out, and offers no button when the full text could not be kept', async () => {
    await h.send({
      type: 'toolUpdate',
      id: 't1',
      tool: {
        ...tool,
        result: { ...tool.result!, truncated: { originalBytes: 2.3 * 1024 * 1024, keptBytes: 64 * 1024, imagesLeftOut: 3 } },
      },
    });
    assert.match((await card().locator('[role="note"]').textContent()) ?? '', /3 images left out/);
    assert.equal(
      await card()
        .getByRole('button', { name: /Open the full result/ })
        .count(),
      0,
    );
  });
});
