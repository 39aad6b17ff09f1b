/**
 * MCP resources and prompts in a real VS Code (code-server) with server-everything: a prompt chosen from the `/`
 * menu with its argument typed fills the message box; a resource picked from + → MCP resources… becomes a chip whose
 * text reaches the model; a tool result's resource link opens as a read-only document.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { everythingBin } from '../fakes/mcpServers';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const server = new FakeOllama();
const vscode = new CodeServer();
const out = join(__dirname, '..', '..', 'test-output', 'e2e');
let chat: Frame;

describe('MCP resources and prompts in a real VS Code (code-server)', { timeout: 6 * 60_000 }, () => {
  before(async () => {
    await server.start();
    server.models = [{ name: 'test-model:latest', parameter_size: '1B' }];
    await vscode.start(
      {
        'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }],
        'modelChat.mcp.servers': { everything: { type: 'stdio', command: process.execPath, args: [everythingBin()] } },
        'modelChat.tools.approval': 'readOnly',
      },
      { 'README.md': '# sample\n' },
    );
    chat = await vscode.openChat();
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  it('a prompt from the / menu, its argument typed, fills the message box', { timeout: 120_000 }, async () => {
    const box = chat.locator('textarea[aria-label="Message"]');
    await box.click();
    await box.pressSequentially('/args');
    const option = chat.locator('[role="listbox"][aria-label="Prompts"] [role="option"]', { hasText: '/args-prompt' });
    // The servers start for the menu: the first list can take a few seconds.
    await option.waitFor({ timeout: 60_000 });
    await vscode.screenshotSidebar(join(out, 'mcp-slash-menu.png'));
    await box.press('Enter');
    const city = chat.locator('[data-prompt-form="everything/args-prompt"]').getByLabel('city', { exact: true });
    await city.waitFor();
    await city.fill('Lisbon');
    await city.press('Enter');
    await chat.waitForFunction(
      () => (document.querySelector('textarea[aria-label="Message"]') as HTMLTextAreaElement).value === "What's weather in Lisbon?",
    );
    await box.fill('');
  });

  it(
    'a resource picked with + → MCP resources… is a chip naming its server, and its text reaches the model',
    { timeout: 120_000 },
    async () => {
      await chat.locator('button[aria-label="Add context"]').click();
      const rows = vscode.page.locator('.quick-input-list .monaco-list-row');
      await rows.filter({ hasText: 'MCP resources…' }).first().click();
      await vscode.page.locator('.quick-input-widget input').first().fill('features.md');
      await rows.filter({ hasText: 'features.md' }).first().waitFor({ timeout: 30_000 });
      await vscode.page.keyboard.press('Enter');
      const chip = chat.locator('[data-kind="resource"]', { hasText: 'everything: features.md' });
      await chip.waitFor({ timeout: 30_000 });
      await vscode.screenshotSidebar(join(out, 'mcp-resource-chip.png'));

      server.onChat = (body) => ({ steps: answerLines(body.model, ['Read it.']) });
      await sendMessage(chat, 'What does this server do?');
      await chat.locator('article[data-role="assistant"]:last-of-type[data-state="done"]').waitFor({ timeout: 30_000 });
      const question = server.chatRequests.at(-1)!.body.messages.at(-1);
      assert.equal(question.role, 'user');
      assert.match(
        question.content,
        /^Resource from MCP server "everything": demo:\/\/resource\/static\/document\/features\.md \(text\/markdown\)/,
      );
      assert.match(question.content, /# Everything Server - Features/);
      assert.match(question.content, /What does this server do\?$/);
    },
  );

  it('a tool result’s resource link opens read-only in an editor', { timeout: 120_000 }, async () => {
    const call = { function: { name: 'get-resource-links', arguments: { count: 2 } } };
    server.onChat = (body) =>
      body.messages.at(-1).role === 'tool'
        ? { steps: answerLines(body.model, ['Two links.']) }
        : { steps: answerLines(body.model, [], { toolCalls: [call] }) };
    await sendMessage(chat, 'Link me two resources');
    const card = chat.locator('[data-tool="get-resource-links"][data-state="done"]');
    await card.waitFor({ timeout: 60_000 });
    await card.locator('button[aria-label="Open Text Resource 2"]').click();
    await vscode.page
      .locator('.monaco-editor .view-lines', { hasText: 'Resource 2: This is a plaintext resource' })
      .waitFor({ timeout: 30_000 });
    await vscode.screenshot('mcp-resource-open');
  });
});
