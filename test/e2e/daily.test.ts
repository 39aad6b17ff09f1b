/**
 * A daily user's journeys through the packaged .vsix in a real VS Code (code-server): the first run
 * before the model server is up, context from the editor and the Explorer, editing and regenerating,
 * the reasoning section, the keybinding, and the history list. Screenshots go to test-output/e2e/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { freePort } from '../fakes/ports';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const T = { timeout: 90_000 };
const server = new FakeOllama();
const vscode = new CodeServer();
let chat: Frame;
let port: number;

const lastUserContent = (): string => server.chatRequests.at(-1)!.body.messages.at(-1).content;
const answers = () => chat.locator('article[data-role="assistant"]');
async function send(text: string): Promise<void> {
  const before = server.chatRequests.length;
  await sendMessage(chat, text);
  await waitFor(() => server.chatRequests.length > before, `the request for "${text}"`);
  await chat.locator('article[data-role="assistant"]:last-of-type[data-state="done"]').waitFor({ state: 'attached', timeout: 20_000 });
}
async function waitFor(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
/** A right-click menu entry, chosen as with the keyboard (a mouse click can land while the menu is still opening). */
async function pickFromContextMenu(label: string): Promise<void> {
  const item = vscode.page.locator('.context-view .action-label', { hasText: label }).first();
  await item.waitFor();
  await item.hover();
  await vscode.page.locator('.context-view .action-item.focused', { hasText: label }).first().waitFor();
  await vscode.page.keyboard.press('Enter');
  await vscode.page.locator('.context-view .action-label', { hasText: label }).first().waitFor({ state: 'hidden' });
}
const chip = (label: string) => chat.locator('.composer .chip', { hasText: label });
/**
 * The Explorer replaces the chat in the side bar, which disposes its webview; Add to Model Chat shows
 * the chat again in a new one. Waits in whichever frame holds the chat by then.
 */
async function inChatAgain(test: (frame: Frame) => Promise<unknown>): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    chat = await vscode.chatFrame();
    try {
      await test(chat);
      return;
    } catch (err) {
      if (Date.now() > end || !/detached|Timeout/i.test(String(err))) throw err;
    }
  }
}

describe('A daily user in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    // The endpoint is configured on a port where nothing listens yet: the first run finds no server.
    port = await freePort();
    server.models = [{ name: 'qwen3:8b', parameter_size: '8B' }];
    // Capabilities are looked up once per model and remembered, as against a real server.
    server.capabilities.set('qwen3:8b', ['completion', 'tools', 'thinking']);
    await vscode.start(
      { 'modelChat.endpoints': [{ name: 'Ollama', type: 'ollama', url: `http://127.0.0.1:${port}` }] },
      {
        'src/sample.py': 'def add(a, b):\n    return a + b\n\nprint(add(2, 3))\n',
        'src/other.py': '# the other file\nVALUE = 42\n',
        'src/logo.png': '\u0089PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR',
      },
    );
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  it('first run: with no server the empty chat says how to start one; Retry finds it once it is up', T, async () => {
    chat = await vscode.openChat();
    const empty = chat.locator('.empty-state');
    await empty.locator("text=Can't reach Ollama").waitFor({ timeout: 20_000 });
    assert.match((await empty.textContent()) ?? '', /ollama serve[\s\S]*ollama pull qwen3/);
    assert.ok(await empty.getByRole('button', { name: 'Edit endpoints' }).isVisible());
    await vscode.screenshot('20-first-run-unreachable');
    await server.start(port);
    await empty.getByRole('button', { name: 'Retry' }).click();
    await empty.getByRole('button', { name: /How do I write a unit test/ }).waitFor({ timeout: 15_000 });
    await chat.locator('.model-picker', { hasText: 'qwen3:8b' }).waitFor();
    await vscode.screenshot('21-first-run-ready');
  });

  it('Ctrl+Alt+M from the editor puts the cursor in the message box; Ctrl+Alt+Shift+M asks', T, async () => {
    await vscode.quickOpen('sample.py');
    await vscode.page.keyboard.press('Enter');
    await vscode.page.locator('.monaco-editor .view-lines', { hasText: 'def add' }).first().click();
    await waitFor(async () => !(await chat.evaluate(() => document.hasFocus())), 'the editor to have the focus');
    await vscode.page.keyboard.press('Control+Alt+M');
    await waitFor(
      () => chat.evaluate(() => document.hasFocus() && document.activeElement?.getAttribute('aria-label') === 'Message'),
      'the message box to have the focus',
    );
    // And Ctrl+Alt+Shift+M asks from anywhere.
    await vscode.page.locator('.monaco-editor .view-lines', { hasText: 'def add' }).first().click();
    await vscode.page.keyboard.press('Control+Alt+Shift+M');
    await vscode.page.locator('.quick-input-widget input[placeholder="Explain this code"]').waitFor();
    await vscode.page.keyboard.press('Escape');
  });

  it('the selection is a chip while it exists; the question carries exactly the chips left on', T, async () => {
    server.onChat = (body) => ({ steps: answerLines(body.model, ['It adds.']) });
    await vscode.page.locator('.monaco-editor .view-lines', { hasText: 'def add' }).first().click();
    await vscode.page.keyboard.press('Control+Home');
    await vscode.page.keyboard.press('Shift+ArrowDown');
    await vscode.page.keyboard.press('Shift+ArrowDown');
    await chip('sample.py:1-2').waitFor({ timeout: 10_000 });
    await send('What does this do?');
    assert.match(
      lastUserContent(),
      /^Selection: src\/sample\.py \(lines 1-2\)\n```python\ndef add\(a, b\):\n {4}return a \+ b\n```\n\nWhat does this do\?$/,
    );
    await chat.locator('article[data-role="user"] .message-context', { hasText: 'sample.py:1-2' }).waitFor();
    // Switched off, it stays out of the next question.
    await chip('sample.py:1-2').getByRole('button', { name: 'Include sample.py:1-2' }).click();
    await chat.locator('.composer .chip[data-enabled="false"]', { hasText: 'sample.py:1-2' }).waitFor();
    await send('And in general?');
    assert.equal(lastUserContent(), 'And in general?');
  });

  it('Explorer → Add to Model Chat attaches the file; a binary file is refused with a message', T, async () => {
    await vscode.page.locator('.monaco-editor .view-lines', { hasText: 'def add' }).first().click();
    await vscode.page.keyboard.press('Control+Shift+E');
    const folder = vscode.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'src' }).first();
    await folder.waitFor();
    if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
    await vscode.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'other.py' }).first().click({ button: 'right' });
    await pickFromContextMenu('Add to Model Chat');
    await inChatAgain(() => chip('other.py').waitFor({ timeout: 3_000 }));
    await vscode.screenshot('22-explorer-add-to-chat');
    await send('What is VALUE?');
    assert.match(lastUserContent(), /^File: src\/other\.py\n```\w+\n# the other file\nVALUE = 42\n```\n\nWhat is VALUE\?$/);
    assert.equal(await chip('other.py').count(), 0, 'an attached file goes with one question');

    await vscode.page.locator('.monaco-editor .view-lines', { hasText: 'def add' }).first().click();
    await vscode.page.keyboard.press('Control+Shift+E');
    await vscode.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'logo.png' }).first().click({ button: 'right' });
    await pickFromContextMenu('Add to Model Chat');
    await vscode.page.locator('.notifications-toasts', { hasText: 'logo.png looks binary' }).first().waitFor({ timeout: 10_000 });
    chat = await vscode.openChat();
    assert.equal(await chip('logo.png').count(), 0);
  });

  it('edit a question and resend: the answer is replaced and the earlier branch is kept in history', T, async () => {
    chat = await vscode.openChat();
    server.onChat = (body) => ({ steps: answerLines(body.model, [`About: ${String(body.messages.at(-1).content).split('\n\n').at(-1)}`]) });
    const question = chat.locator('article[data-role="user"]').last();
    await question.hover();
    await question.getByRole('button', { name: 'Edit' }).click();
    const editor = question.locator('textarea[aria-label="Edit message"]');
    await editor.fill('What is VALUE times two?');
    await question.getByRole('button', { name: 'Send edited message' }).click();
    await answers().last().locator('.markdown', { hasText: 'About: What is VALUE times two?' }).waitFor({ timeout: 15_000 });
    // The edited question keeps the context the original had.
    assert.match(lastUserContent(), /^File: src\/other\.py\n[\s\S]*\n\nWhat is VALUE times two\?$/);
    await chat.locator('.notice', { hasText: 'kept in history' }).first().waitFor();
    assert.equal(await chat.locator('article', { hasText: 'What is VALUE?' }).count(), 0);
    await vscode.screenshot('23-edited');
  });

  it('regenerate asks again with the same prompt; reasoning streams into a collapsed Thinking section', T, async () => {
    const before = server.chatRequests.length;
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Eighty-four.'], { thinking: ['VALUE is 42, ', 'so twice is 84.'] }) });
    const last = answers().last();
    await last.hover();
    await last.getByRole('button', { name: 'Regenerate' }).click();
    await answers().last().locator('.markdown', { hasText: 'Eighty-four.' }).waitFor({ timeout: 15_000 });
    assert.deepEqual(server.chatRequests.at(-1)!.body.messages, server.chatRequests[before - 1].body.messages);
    assert.equal(server.chatRequests.at(-1)!.body.think, true);
    const thinking = answers().last().locator('details.thinking');
    assert.equal(await thinking.getAttribute('open'), null, 'collapsed');
    await thinking.locator('summary').click();
    assert.match((await thinking.textContent()) ?? '', /VALUE is 42, so twice is 84\./);
    assert.equal(await answers().last().locator('.markdown', { hasText: 'VALUE is 42' }).count(), 0, 'reasoning stays out of the answer');
    await vscode.screenshot('24-thinking');
    // Copy takes the answer's own markdown, without the reasoning or the interface around it.
    await answers().last().hover();
    await answers().last().getByRole('button', { name: 'Copy' }).click();
    await waitFor(async () => (await vscode.clipboard().catch(() => '')) === 'Eighty-four.', 'the answer on the clipboard');
  });

  it('history: rename, delete with Undo, and reopen an earlier conversation', T, async () => {
    await chat.getByRole('button', { name: 'New chat' }).click();
    await chat.locator('article').first().waitFor({ state: 'detached' });
    await chat.getByRole('button', { name: 'Show history' }).click();
    const panel = chat.locator('[aria-label="Conversation history"]');
    const rows = panel.locator('.history-item');
    await rows.first().waitFor();
    await waitFor(async () => (await rows.count()) === 2, 'two conversations (the edited one and its earlier branch)');
    const earlier = rows.filter({ hasText: '(before edit)' });
    assert.equal(await earlier.count(), 1);

    await earlier.getByRole('button', { name: 'Rename' }).click();
    await panel.locator('input[aria-label="Conversation title"]').fill('Before the edit');
    await panel.locator('input[aria-label="Conversation title"]').press('Enter');
    await rows.filter({ hasText: 'Before the edit' }).waitFor();

    await rows.filter({ hasText: 'Before the edit' }).getByRole('button', { name: 'Delete' }).click();
    await waitFor(async () => (await rows.count()) === 1, 'the row to go');
    await chat.locator('.notice', { hasText: 'Deleted “Before the edit”' }).getByRole('button', { name: 'Undo' }).click();
    await rows.filter({ hasText: 'Before the edit' }).waitFor();
    await vscode.screenshot('25-history');

    await rows.filter({ hasText: 'Before the edit' }).locator('.history-title').click();
    await chat.locator('article[data-role="user"]', { hasText: 'What is VALUE?' }).waitFor();
    await chat.locator('article[data-role="assistant"]', { hasText: 'It adds.' }).first().waitFor({ state: 'attached' });

    // Search finds a conversation by its text.
    await chat.getByRole('button', { name: 'Show history' }).click();
    await panel.locator('input[aria-label="Search conversations"]').fill('times two');
    await waitFor(
      async () => (await rows.count()) === 1 && /VALUE times two/.test((await rows.first().textContent()) ?? ''),
      'one search result',
    );
  });
});
