/**
 * Every chat is a full chat, in a real VS Code (code-server): a sidebar conversation moved to an editor tab keeps
 * its messages and its chips while the sidebar starts afresh; each chat's chips are its own, and each question
 * carries only its own chat's files to the model; an MCP server's form shows in the tab whose tool call asked,
 * and what is typed there reaches the server; the tab comes back after a window reload.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { everythingBin } from '../fakes/mcpServers';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const T = { timeout: 180_000 };
const server = new FakeOllama();
const vscode = new CodeServer();
const FIRST = 'First question, in the sidebar';
const NOTES = 'NOTES-MARKER: the notes file';
const OTHER = 'OTHER-MARKER: the other file';
const SIGN_UP = 'Sign me up';
/** The two chats' pages: found again by what they show, since a page is rebuilt when its tab is hidden. */
let tabChat: Frame;
let sidebarChat: Frame;

async function until<R>(what: string, check: () => Promise<R | undefined | false>, timeoutMs = 30_000): Promise<R> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = await check().catch(() => undefined);
    if (found) return found;
    if (Date.now() > end) {
      await vscode.screenshot('everyChat-failed');
      throw new Error(`Timed out waiting until ${what}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The questions a chat page shows, in order. */
const questions = (frame: Frame) =>
  frame.locator('article[data-role="user"] .markdown').evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ''));

/** Every chat page now (a webview is an iframe in an iframe), each with its questions. */
async function chatPages(): Promise<Array<{ frame: Frame; asked: string[] }>> {
  const pages = [];
  for (const frame of vscode.page.frames()) {
    if (frame.isDetached()) continue;
    if (!(await frame.locator('.model-picker', { hasText: 'test-model:latest' }).count())) continue;
    pages.push({ frame, asked: await questions(frame) });
  }
  return pages;
}

/** The tab's page (its conversation began with FIRST) and the sidebar's (the other one), once both are ready. */
async function findChats(): Promise<void> {
  [tabChat, sidebarChat] = await until('both chats are on screen', async () => {
    const pages = await chatPages();
    const tab = pages.find((p) => p.asked[0] === FIRST);
    const sidebar = pages.find((p) => p !== tab);
    return pages.length === 2 && tab && sidebar && [tab.frame, sidebar.frame];
  });
}

async function answered(frame: Frame, n: number): Promise<void> {
  await frame
    .locator('article[data-role="assistant"][data-state="done"]')
    .nth(n - 1)
    .waitFor({ timeout: 30_000 });
}

/** The + button's Files… pick, as a user attaches a workspace file to one chat. */
async function attachWithPlus(frame: Frame, fileName: string): Promise<void> {
  await frame.locator('button[aria-label="Add context"]').click();
  const rows = vscode.page.locator('.quick-input-list .monaco-list-row');
  await rows.filter({ hasText: 'Files…' }).first().click();
  // The file pick, not the first pick still closing (its input inert).
  const input = vscode.page.locator('.quick-input-widget input[placeholder^="Type to filter"]');
  await until('the file pick takes typing', () => input.isEditable({ timeout: 1000 }));
  await input.fill(fileName);
  // A pick of several: the row is checked, then Enter takes the checked ones.
  await rows.filter({ hasText: fileName }).first().click();
  await vscode.page.keyboard.press('Enter');
  await until(`the ${fileName} chip shows`, async () => (await fileChip(frame, fileName).count()) > 0);
}

const fileChip = (frame: Frame, name: string) => frame.locator('[data-context-id^="file:"]', { hasText: name });
const chipNames = (frame: Frame) =>
  frame.locator('[data-context-id^="file:"] .chip-label').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
/** What the fake model server received for the last question, as sent. */
const lastRequest = () => JSON.stringify(server.chatRequests.at(-1)!.body);

describe('Every chat is a full chat (code-server)', { timeout: 12 * 60_000 }, () => {
  before(async () => {
    await server.start();
    server.models = [{ name: 'test-model:latest', parameter_size: '1B' }];
    server.onChat = (body) => {
      const last = body.messages.at(-1);
      if (last.role === 'tool') return { steps: answerLines(body.model, ['Thanks: your details reached the server.']) };
      if (String(last.content).endsWith(SIGN_UP))
        return {
          steps: answerLines(body.model, [], { toolCalls: [{ function: { name: 'trigger-elicitation-request', arguments: {} } }] }),
        };
      return { steps: answerLines(body.model, ['Noted.']) };
    };
    await vscode.start(
      {
        'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }],
        'modelChat.mcp.servers': { everything: { type: 'stdio', command: process.execPath, args: [everythingBin()] } },
      },
      { 'notes.md': `${NOTES}\n`, 'other.md': `${OTHER}\n` },
    );
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  it('"Move chat to editor" takes the conversation and its chips to a tab; the sidebar starts a new chat', T, async () => {
    const sidebar = await vscode.openChat();
    await sidebar.locator('.model-picker', { hasText: 'test-model:latest' }).waitFor({ timeout: 30_000 });
    await sendMessage(sidebar, FIRST);
    await answered(sidebar, 1);
    await attachWithPlus(sidebar, 'notes.md');
    await fileChip(sidebar, 'notes.md').waitFor({ timeout: 30_000 });

    await vscode.runCommand('Model Chat: Move chat to editor');
    await vscode.page.locator('.tabs-container .tab', { hasText: FIRST }).first().waitFor({ timeout: 30_000 });
    await findChats();
    assert.deepEqual(await questions(tabChat), [FIRST], 'the tab shows the conversation');
    assert.equal((await tabChat.locator('article[data-role="assistant"] .markdown').last().textContent())?.trim(), 'Noted.');
    await fileChip(tabChat, 'notes.md').waitFor({ timeout: 15_000 });
    assert.deepEqual(await questions(sidebarChat), [], 'the sidebar shows a new chat');
    assert.deepEqual(await chipNames(sidebarChat), [], 'without the moved chat’s chips');
  });

  it('each chat’s chips are its own, and each question carries only its own chat’s files', T, async () => {
    await attachWithPlus(sidebarChat, 'other.md');
    await fileChip(sidebarChat, 'other.md').waitFor({ timeout: 30_000 });
    assert.deepEqual(await chipNames(sidebarChat), ['other.md']);
    assert.deepEqual(await chipNames(tabChat), ['notes.md'], 'the tab shows only its own chip');
    await vscode.screenshot('everyChat-chips');

    const before = server.chatRequests.length;
    await sendMessage(tabChat, 'Tab question');
    await answered(tabChat, 2);
    assert.equal(server.chatRequests.length, before + 1);
    assert.ok(lastRequest().includes('NOTES-MARKER'), 'the tab’s file went with the tab’s question');
    assert.ok(!lastRequest().includes('OTHER-MARKER'), 'the sidebar’s did not');

    await sendMessage(sidebarChat, 'Sidebar question');
    await answered(sidebarChat, 1);
    assert.ok(lastRequest().includes('OTHER-MARKER'), 'the sidebar’s file went with the sidebar’s question');
    assert.ok(!lastRequest().includes('NOTES-MARKER'), 'the tab’s did not');
    assert.deepEqual(await chipNames(sidebarChat), [], 'sent: the attachment was for that question');
  });

  it('"Add to Model Chat" attaches to the chat the user was in last (here the tab), and reveals it', T, async () => {
    // The user was in the tab's page last (the sidebar had their last question); the tab's label is clicked too, so
    // the keyboard is the workbench's for the quick open.
    await tabChat.locator('textarea[aria-label="Message"]').click();
    await vscode.page.locator('.tabs-container .tab', { hasText: FIRST }).first().click();
    // The file opens over the chat's tab, in the same group: the chat is out of sight when the command runs.
    await vscode.quickOpen('other.md');
    await vscode.page.keyboard.press('Enter');
    await vscode.page.locator('.tabs-container .tab.active', { hasText: 'other.md' }).waitFor({ timeout: 15_000 });
    await vscode.runCommand('Model Chat: Add to Model Chat');
    await until('the chat tab is revealed', async () => vscode.page.locator('.tabs-container .tab.active', { hasText: FIRST }).count());
    await findChats();
    await until('the tab shows the file', async () => (await chipNames(tabChat)).join() === 'other.md');
    assert.deepEqual(await chipNames(sidebarChat), [], 'the sidebar got nothing');
    await tabChat.locator('button[aria-label="Remove other.md"]').click();
    await until('the chip is removed', async () => (await chipNames(tabChat)).length === 0);
  });

  it('an editor tab’s MCP form shows in that tab, not the sidebar, and what is typed reaches the server', T, async () => {
    await sendMessage(tabChat, SIGN_UP);
    const card = tabChat.locator('[data-tool="trigger-elicitation-request"]');
    await card.waitFor({ timeout: 60_000 });
    await card.locator('button[aria-label="Allow"]').click();
    const form = tabChat.locator('[data-tool="trigger-elicitation-request"] + [data-elicitation]');
    await form.waitFor({ timeout: 30_000 });
    assert.equal(await sidebarChat.locator('[data-elicitation]').count(), 0, 'the sidebar shows no form');
    await form.getByLabel('String', { exact: true }).fill('Grace Hopper');
    await form.getByLabel('String with email format', { exact: true }).fill('grace@example.com');
    await card.evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await vscode.screenshot('everyChat-tab-form');
    await form.locator('button[aria-label="Submit"]').click();
    await tabChat.locator('[data-tool="trigger-elicitation-request"][data-state="done"]').waitFor({ timeout: 30_000 });
    await tabChat
      .locator('article[data-role="assistant"][data-state="done"] .markdown', { hasText: 'your details reached the server' })
      .waitFor({ timeout: 30_000 });
    const result = server.chatRequests.at(-1)!.body.messages.at(-1);
    assert.equal(result.role, 'tool');
    const raw = JSON.parse(result.content.slice(result.content.indexOf('{')));
    assert.equal(raw.action, 'accept');
    assert.equal(raw.content.name, 'Grace Hopper');
    assert.equal(raw.content.email, 'grace@example.com');
    if (process.env.UPDATE_DOCS) {
      const docs = join(__dirname, '..', '..', 'docs');
      mkdirSync(docs, { recursive: true });
      copyFileSync(join(__dirname, '..', '..', 'test-output', 'e2e', 'everyChat-chips.png'), join(docs, 'every-chat-chips.png'));
    }
  });

  it('the moved chat’s tab comes back with its conversation after a window reload', T, async () => {
    // Reload Window, not a browser reload: which tab holds the chat is the workbench's state, saved before it reloads.
    await vscode.reloadWindow();
    const asked = await until(
      'the tab shows its conversation again',
      async () => (await chatPages()).find((p) => p.asked[0] === FIRST)?.asked,
      90_000,
    );
    assert.deepEqual(asked, [FIRST, 'Tab question', SIGN_UP]);
    await vscode.page.locator('.tabs-container .tab', { hasText: FIRST }).first().waitFor({ timeout: 15_000 });
    await vscode.screenshot('everyChat-after-reload');
  });
});
