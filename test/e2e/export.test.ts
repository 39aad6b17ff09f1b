/**
 * Conversations out and in, in a real VS Code (code-server) with the packaged .vsix: Export conversation…
 * through the editor's own save dialog (its quick-input form, which a user types a path into), the Markdown
 * file on disk and opened in an editor, the JSON export, and Import conversation… opening it in the view.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const T = { timeout: 120_000 };
const server = new FakeOllama();
const vscode = new CodeServer();
let chat: Frame;

const QUESTION = 'How do I add two numbers in Python?';
const ANSWER = ['Use the `+` operator:\n\n', '```python\n', 'print(2 + 3)\n', '```\n\n', 'It prints **5**.'];

async function waitFor(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Types a whole path into the editor's save/open dialog (the quick-input form), as a user would, and accepts it. */
async function typeIntoFileDialog(path: string, step: string): Promise<void> {
  const widget = vscode.page.locator('.quick-input-widget');
  const input = widget.locator('input').first();
  // The dialog fills in the workspace folder (and, saving, a name) once it has listed it, over anything typed before.
  await waitFor(async () => (await input.inputValue()).startsWith(vscode.workspace), 'the dialog to fill in its folder');
  // The dialog validates against its own listing, which it refreshes as the value changes: an Enter that lands
  // while it is still catching up can be refused ("The folder already exists", seen once on a loaded machine).
  // A user types the path again and presses Enter again; so does the test, a bounded number of times.
  for (let attempt = 1; ; attempt++) {
    await input.focus();
    await vscode.page.keyboard.press('Control+A');
    // Key by key: the dialog completes names from its listing as they are typed, and the next key types over that.
    await vscode.page.keyboard.type(path, { delay: 5 });
    await waitFor(async () => (await input.inputValue()) === path, 'the typed path').catch(async (err) => {
      await vscode.screenshot(`export-dialog-${step}`);
      throw err;
    });
    await vscode.page.keyboard.press('Enter');
    try {
      await widget.waitFor({ state: 'hidden', timeout: 5_000 });
      return;
    } catch (err) {
      if (!(await widget.isVisible())) return;
      if (attempt === 3) {
        await vscode.screenshot(`export-dialog-${step}`);
        throw err;
      }
    }
  }
}

describe('Conversations out and in, in a real VS Code (code-server)', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    await server.start();
    server.models = [{ name: 'test-model:latest', parameter_size: '1B' }];
    server.onChat = (body) => ({ steps: answerLines(body.model, ANSWER) });
    await vscode.start({
      'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }],
      // VS Code's own dialog (a quick input a user types a path into) rather than the browser's file picker.
      'files.simpleDialog.enable': true,
    });
    chat = await vscode.openChat();
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  it('Export conversation… writes the Markdown transcript where the user typed, and opens it', T, async () => {
    await sendMessage(chat, QUESTION);
    await chat.locator('article[data-role="assistant"][data-state="done"]').waitFor({ state: 'attached', timeout: 20_000 });

    await vscode.runCommand('Model Chat: Export conversation…');
    const file = join(vscode.workspace, 'exported chat.md');
    await typeIntoFileDialog(file, 'md');
    await waitFor(() => existsSync(file), 'the exported Markdown file');
    const md = readFileSync(file, 'utf8');
    assert.match(md, /^# How do I add two numbers in Python\?\n/);
    assert.match(md, /- Model: test-model:latest \(E2E Ollama\)/);
    assert.ok(md.includes(`## Question\n\n${QUESTION}\n`), md);
    assert.ok(md.includes(`## Answer\n\n${ANSWER.join('')}\n`), 'the answer exactly as the model wrote it');

    const toast = vscode.page.locator('.notification-toast', { hasText: 'exported chat.md' });
    await toast.waitFor({ timeout: 10_000 });
    await toast.getByRole('button', { name: 'Open' }).click();
    const tab = vscode.page.locator('.tabs-container .tab', { hasText: 'exported chat.md' });
    await tab.waitFor({ timeout: 10_000 });
    await vscode.page.locator('.monaco-editor .view-lines', { hasText: 'It prints **5**.' }).first().waitFor({ timeout: 10_000 });
    await vscode.screenshot('export-markdown');
  });

  it('Copy conversation puts the same Markdown on the clipboard', T, async () => {
    await vscode.runCommand('Model Chat: Copy conversation');
    const expected = readFileSync(join(vscode.workspace, 'exported chat.md'), 'utf8');
    await waitFor(async () => (await vscode.clipboard().catch(() => '')) === expected, 'the transcript on the clipboard');
  });

  it('a JSON export, imported, opens in the view as a conversation of its own', T, async () => {
    await vscode.runCommand('Model Chat: Export conversation…');
    const file = join(vscode.workspace, 'exported chat.json');
    await typeIntoFileDialog(file, 'json');
    await waitFor(() => existsSync(file), 'the exported JSON file');
    const exported = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(exported.kind, 'model-chat-conversation');
    assert.deepEqual(
      exported.conversation.messages.map((m: { role: string; text: string }) => [m.role, m.text]),
      [
        ['user', QUESTION],
        ['assistant', ANSWER.join('')],
      ],
    );

    await vscode.runCommand('Model Chat: New chat');
    await chat.locator('article').first().waitFor({ state: 'detached' });
    await vscode.runCommand('Model Chat: Import conversation…');
    await typeIntoFileDialog(file, 'import');
    chat = await vscode.chatFrame();
    await chat.locator('article[data-role="user"]', { hasText: QUESTION }).waitFor({ timeout: 15_000 });
    const answer = chat.locator('article[data-role="assistant"][data-state="done"]');
    await answer.locator('.markdown strong', { hasText: '5' }).waitFor();
    assert.equal(await answer.locator('.markdown pre code').textContent(), 'print(2 + 3)\n');

    // A conversation of its own: the history lists the original and the import.
    await chat.getByRole('button', { name: 'Show history' }).click();
    const rows = chat.locator('[aria-label="Conversation history"] li.history-item');
    await waitFor(async () => (await rows.filter({ hasText: QUESTION }).count()) === 2, 'two conversations in the history');
    assert.equal(await rows.filter({ hasText: '(imported)' }).count(), 1, 'the import is told apart from the original');
    await vscode.screenshot('export-imported');
  });

  it('a file that is not an export is refused, saying what is wrong', T, async () => {
    const file = join(vscode.workspace, 'not an export.json');
    writeFileSync(file, JSON.stringify({ version: 1, conversation: { id: '../../escape', messages: [] } }));
    await vscode.runCommand('Model Chat: Import conversation…');
    await typeIntoFileDialog(file, 'bad');
    await vscode.page
      .locator('.notification-toast', { hasText: 'not an export.json cannot be imported: it is not a Model Chat conversation export' })
      .waitFor({ timeout: 10_000 });
  });
});
