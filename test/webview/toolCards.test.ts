import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ToolCallInfo } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('tool cards in headless Chromium', () => {
  const h = new WebviewHarness();
  before(async () => {
    await h.start();
    await h.send({ type: 'snapshot', messages: [], busy: true, model: { endpoint: 'E', model: 'm' } });
  });
  after(() => h.stop());

  const base: ToolCallInfo = {
    name: 'trigger-long-running-operation',
    server: 'everything',
    arguments: '{\n  "duration": 5,\n  "steps": 5\n}',
    state: 'pending',
    readOnly: false,
  };
  const card = () => h.page.locator('[data-tool="trigger-long-running-operation"]');

  it('asks for approval with Allow and Deny, and posts the decision', async () => {
    await h.send({ type: 'messageAdded', message: { id: 't1', role: 'tool', text: '', state: 'done', seq: 0, tool: base } });
    assert.equal(await card().getAttribute('data-state'), 'pending');
    assert.match((await card().textContent()) ?? '', /"duration": 5/);
    await h.clearPosted();
    await card().locator('button[aria-label="Allow"]').click();
    await card().locator('button[aria-label="Deny"]').click();
    await card().getByRole('button', { name: 'Always allow this tool' }).click();
    assert.deepEqual(await h.posted(), [
      { type: 'toolApproval', id: 't1', decision: 'allow' },
      { type: 'toolApproval', id: 't1', decision: 'deny' },
      { type: 'toolApproval', id: 't1', decision: 'always' },
    ]);
  });

  it('shows live progress in a <progress> that follows the notifications, and can cancel one call', async () => {
    const startedAt = Date.now();
    for (const step of [1, 2, 3]) {
      await h.send({
        type: 'toolUpdate',
        id: 't1',
        tool: { ...base, state: 'running', startedAt, progress: { progress: step, total: 5, message: `Step ${step} of 5` } },
      });
      const bar = card().locator('progress');
      assert.equal(await bar.evaluate((b: HTMLProgressElement) => [b.value, b.max].join('/')), `${step}/5`);
      assert.equal(await card().locator('.tool-progress-message').textContent(), `Step ${step} of 5`);
    }
    assert.equal(await card().getAttribute('data-state'), 'running');
    await h.page.screenshot({ path: join(shots, 'tool-running.png') });
    await h.clearPosted();
    await card().locator('button[aria-label="Cancel trigger-long-running-operation"]').click();
    assert.deepEqual(await h.posted(), [{ type: 'cancelTool', id: 't1' }]);
  });

  it('shows the result, collapsed when long, with images, and error and cancelled states', async () => {
    const long = 'line of output\n'.repeat(100);
    await h.send({
      type: 'toolUpdate',
      id: 't1',
      tool: {
        ...base,
        state: 'done',
        durationMs: 5100,
        result: {
          text: long,
          isError: false,
          images: [
            { mimeType: 'image/png', data: PNG_1PX },
            { mimeType: 'image/svg+xml', data: 'PHN2Zz4=' },
          ],
        },
      },
    });
    assert.equal(await card().getAttribute('data-state'), 'done');
    assert.equal(await card().locator('progress').count(), 0);
    assert.equal(await card().locator('details.tool-result').getAttribute('open'), null, 'collapsed');
    assert.equal(await card().locator('img').count(), 1, 'raster images only');
    assert.match((await card().locator('.tool-elapsed').textContent()) ?? '', /5\.1 s/);
    await h.send({
      type: 'messageAdded',
      message: {
        id: 't2',
        role: 'tool',
        text: '',
        state: 'done',
        seq: 0,
        tool: { name: 'echo', arguments: '{}', state: 'error', result: { text: 'MCP error -32602: Invalid arguments', isError: true } },
      },
    });
    assert.equal(await h.page.locator('[data-tool="echo"]').getAttribute('data-state'), 'error');
    await h.send({
      type: 'messageAdded',
      message: {
        id: 't3',
        role: 'tool',
        text: '',
        state: 'done',
        seq: 0,
        tool: { name: 'get-sum', arguments: '{"a":1,"b":2}', state: 'cancelled' },
      },
    });
    assert.equal(await h.page.locator('[data-tool="get-sum"]').getAttribute('data-state'), 'cancelled');
    await h.page.screenshot({ path: join(shots, 'tool-cards.png') });
  });
});
