/**
 * MCP elicitation in a real VS Code (code-server): server-everything offers its form tool only to a client that
 * declares the capability; the model calls it, the form shows next to the tool card, the user types one value and
 * leaves the defaults, the server echoes what it got, and the model's next request carries that result.
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

describe('MCP elicitation in a real VS Code (code-server)', { timeout: 6 * 60_000 }, () => {
  before(async () => {
    await server.start();
    server.models = [{ name: 'test-model:latest', parameter_size: '1B' }];
    await vscode.start(
      {
        'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }],
        'modelChat.mcp.servers': { everything: { type: 'stdio', command: process.execPath, args: [everythingBin()] } },
      },
      { 'README.md': '# sample\n' },
    );
    chat = await vscode.openChat();
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  it(
    'shows the server’s form next to the tool card; the typed value and the untouched defaults reach the server and the model',
    { timeout: 180_000 },
    async () => {
      const ask = { function: { name: 'trigger-elicitation-request', arguments: {} } };
      server.onChat = (body) =>
        body.messages.at(-1).role === 'tool'
          ? { steps: answerLines(body.model, ['Thanks, Ada: your details reached the server.']) }
          : { steps: answerLines(body.model, [], { toolCalls: [ask] }) };
      await sendMessage(chat, 'Sign me up');
      const card = chat.locator('[data-tool="trigger-elicitation-request"]');
      await card.waitFor({ timeout: 60_000 });
      const offered = server.chatRequests.at(-1)!.body.tools.map((t: { function: { name: string } }) => t.function.name);
      assert.ok(offered.includes('trigger-elicitation-request'), 'offered: the client declared the elicitation capability');
      await card.locator('button[aria-label="Allow"]').click();

      const form = chat.locator('[data-tool="trigger-elicitation-request"] + [data-elicitation]');
      await form.waitFor({ timeout: 20_000 });
      assert.match((await form.textContent()) ?? '', /Please provide inputs for the following fields/);
      assert.equal(await form.getByLabel('String with default', { exact: true }).inputValue(), 'It was a dark and stormy night.');
      assert.equal(await form.getByLabel('Integer', { exact: true }).inputValue(), '42');
      await form.getByLabel('String', { exact: true }).fill('Ada Lovelace');
      await form.getByLabel('String with email format', { exact: true }).fill('ada@example.com');
      for (const width of [250, 500]) {
        await vscode.setSidebarWidth(width);
        // The card and the form's first fields: where a user's eye lands when the form appears.
        await card.evaluate((e) => e.scrollIntoView({ block: 'start' }));
        await vscode.screenshotSidebar(join(out, `elicitation-${width}.png`));
      }
      await form.locator('button[aria-label="Submit"]').click();

      await chat.locator('[data-tool="trigger-elicitation-request"][data-state="done"]').waitFor({ timeout: 20_000 });
      await chat.locator('[data-elicitation]').waitFor({ state: 'detached' });
      await chat.locator('article[data-role="assistant"]:last-of-type[data-state="done"]').waitFor({ timeout: 20_000 });
      assert.equal(
        (await chat.locator('article[data-role="assistant"]').last().locator('.markdown').textContent())?.trim(),
        'Thanks, Ada: your details reached the server.',
      );
      const result = server.chatRequests.at(-1)!.body.messages.at(-1);
      assert.equal(result.role, 'tool', "the model's follow-up carries the tool's result");
      const raw = JSON.parse(result.content.slice(result.content.indexOf('{')));
      assert.deepEqual(raw, {
        action: 'accept',
        content: {
          name: 'Ada Lovelace',
          check: false,
          firstLine: 'It was a dark and stormy night.',
          email: 'ada@example.com',
          integer: 42,
          number: 3.14,
          untitledSingleSelectEnum: 'Monica',
          untitledMultipleSelectEnum: ['Guitar'],
          titledSingleSelectEnum: 'hero-1',
          titledMultipleSelectEnum: ['fish-1'],
          legacyTitledEnum: 'pet-1',
        },
      });
      await vscode.screenshot('elicitation-done');
    },
  );
});
