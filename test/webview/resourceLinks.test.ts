/**
 * MCP resources in the real page (the built bundle under its CSP, in Chromium): a tool card's resource links
 * with Open and Attach (which ask the host, naming the server), and an attached resource's chip naming its server.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ToolCallInfo } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');

describe('MCP resource links and chips in headless Chromium', () => {
  const h = new WebviewHarness();
  const tool: ToolCallInfo = {
    name: 'get-resource-links',
    server: 'everything',
    arguments: '{ "count": 2 }',
    state: 'done',
    durationMs: 12,
    result: {
      text: 'Here are 2 resource links to resources available in this server:\n[resource Blob Resource 1: demo://resource/dynamic/blob/1]',
      isError: false,
      links: [
        { uri: 'demo://resource/dynamic/blob/1', name: 'Blob Resource 1', mimeType: 'text/plain' },
        { uri: 'demo://resource/dynamic/text/2', name: 'Text Resource 2', mimeType: 'text/plain' },
      ],
    },
  };

  before(async () => {
    await h.start({ width: 420, height: 600 });
    await h.send(
      {
        type: 'snapshot',
        busy: false,
        model: { endpoint: 'E', model: 'm' },
        messages: [
          { id: 'q1', role: 'user', text: 'Give me two resources', state: 'done', seq: 0 },
          { id: 't1', role: 'tool', text: '', state: 'done', seq: 0, tool },
        ],
      },
      {
        type: 'context',
        meter: { usedTokens: 900, limitTokens: 8192 },
        chips: [
          {
            id: 'mcp:everything:demo://resource/static/document/features.md',
            kind: 'resource',
            label: 'everything: features.md',
            detail: 'demo://resource/static/document/features.md (MCP server "everything")',
            tokens: 812,
            enabled: true,
            removable: true,
          },
        ],
      },
    );
  });
  after(() => h.stop());

  it('lists the links under the result, each with Open and Attach that name the server', async () => {
    const card = h.page.locator('[data-tool="get-resource-links"]');
    const links = card.getByRole('list', { name: 'Resources from everything' });
    await links.waitFor();
    assert.deepEqual(
      await links.getByRole('listitem').evaluateAll((els) => els.map((e) => e.querySelector('.tool-link-name')!.textContent)),
      ['Blob Resource 1', 'Text Resource 2'],
    );
    await h.clearPosted();
    await card.getByRole('button', { name: 'Open Text Resource 2' }).click();
    await card.getByRole('button', { name: 'Attach Blob Resource 1' }).click();
    assert.deepEqual(await h.posted(), [
      { type: 'openResource', server: 'everything', uri: 'demo://resource/dynamic/text/2' },
      { type: 'attachResource', server: 'everything', uri: 'demo://resource/dynamic/blob/1', name: 'Blob Resource 1' },
    ]);
  });

  it('shows an attached resource as a removable chip naming its server', async () => {
    const chip = h.page.locator('[data-kind="resource"]');
    await chip.waitFor();
    assert.match((await chip.textContent()) ?? '', /everything: features\.md/);
    await h.clearPosted();
    await h.page.getByRole('button', { name: 'Remove everything: features.md' }).click();
    assert.deepEqual(await h.posted(), [{ type: 'removeContext', id: 'mcp:everything:demo://resource/static/document/features.md' }]);
    await h.page.screenshot({ path: join(shots, 'resource-links.png') });
  });
});
