/**
 * The tools menu in headless Chromium, the real bundle under its CSP: opening it asks the host, the host's
 * menu shows each server and tool as a labelled checkbox with its token cost, a change is posted with the
 * chosen scope, and a tool the user turned off everywhere can only be turned on with "Everywhere".
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ToolsMenu } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');

const menu = (fsOn = true): ToolsMenu => ({
  type: 'toolsMenu',
  conversationId: 'c1',
  servers: [
    {
      name: 'everything',
      on: true,
      userOff: false,
      tools: [
        { name: 'echo', on: true, userOff: false, tokens: 61 },
        { name: 'get-sum', on: true, userOff: false, tokens: 88 },
        { name: 'get-env', on: false, userOff: true, tokens: 40 },
      ],
    },
    {
      name: 'filesystem',
      on: fsOn,
      userOff: false,
      tools: [
        { name: 'read_text_file', on: true, userOff: false, tokens: 240 },
        { name: 'write_file', on: false, userOff: false, tokens: 130 },
      ],
    },
  ],
  enabledTokens: 61 + 88 + (fsOn ? 240 : 0),
  allTokens: 61 + 88 + 40 + 240 + 130,
});

describe('the tools menu in headless Chromium', () => {
  const h = new WebviewHarness();
  const dialog = () => h.page.getByRole('dialog', { name: 'Tools' });
  const box = (name: string) => dialog().getByRole('checkbox', { name, exact: true });
  const lastPosted = async () => (await h.posted()).at(-1);

  before(async () => {
    await h.start({ width: 420, height: 640 });
    await h.send({
      type: 'snapshot',
      conversationId: 'c1',
      busy: false,
      model: { endpoint: 'Ollama', model: 'qwen2.5:3b' },
      messages: [{ id: 'q1', role: 'user', text: 'Hello', state: 'done', seq: 0 }],
    });
  });
  after(() => h.stop());

  it('opening it asks the host for the menu, which then shows servers and tools with their cost', async () => {
    await h.clearPosted();
    await h.page.getByRole('button', { name: 'Tools', exact: true }).click();
    assert.deepEqual(await lastPosted(), { type: 'toolsMenu' });
    await h.send(menu());
    await dialog().waitFor();
    assert.equal(await dialog().locator('.tools-summary').textContent(), '3 of 5 tools on: ~389 tokens of ~559 tokens in every request.');
    assert.equal(await box('echo').isChecked(), true);
    assert.equal(await box('write_file').isChecked(), false);
    assert.equal(await box('everything').isChecked(), true);
    assert.equal(await box('get-env').isDisabled(), true, 'off everywhere: not turned on for one conversation');
    // The button says what the tools cost without opening the menu.
    const button = h.page.locator('.tools-button');
    assert.equal(await button.getAttribute('aria-label'), 'Tools: 3 on, ~389 tokens a request');
  });

  it('a change is posted with the scope chosen; "Everywhere" can turn on what is off everywhere', async () => {
    await h.clearPosted();
    await box('read_text_file').uncheck();
    assert.deepEqual(await lastPosted(), {
      type: 'setTool',
      server: 'filesystem',
      tool: 'read_text_file',
      on: false,
      scope: 'conversation',
    });
    await dialog().getByLabel('Apply changes to').selectOption('workspace');
    await box('filesystem').uncheck();
    assert.deepEqual(await lastPosted(), { type: 'setTool', server: 'filesystem', on: false, scope: 'workspace' });
    await h.send(menu(false));
    assert.equal(await box('filesystem').isChecked(), false);
    assert.match((await dialog().locator('.tools-summary').textContent()) ?? '', /^2 of 5 tools on: ~149 tokens/);
    await dialog().getByLabel('Apply changes to').selectOption('user');
    assert.equal(await box('get-env').isDisabled(), false);
    await box('get-env').check();
    assert.deepEqual(await lastPosted(), { type: 'setTool', server: 'everything', tool: 'get-env', on: true, scope: 'user' });
    await dialog().getByLabel('Apply changes to').selectOption('conversation');
    await h.send(menu(false));
    await h.page.screenshot({ path: join(shots, 'tools-menu.png') });
  });

  it('Escape closes it and gives the focus back to its button', async () => {
    await box('echo').focus();
    await h.page.keyboard.press('Escape');
    assert.equal(await dialog().isVisible(), false);
    assert.equal(await h.page.evaluate(() => document.activeElement?.classList.contains('tools-button')), true);
  });
});
