/**
 * Issue 13, part D in the real editor: a link in the model's answer is opened by the extension alone, once.
 * VS Code's own webview link handler would also open it (twice for a web link, and any scheme for the rest).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const T = { timeout: 120_000 };

describe('links in a real VS Code (code-server)', { timeout: 6 * 60_000 }, () => {
  const server = new FakeOllama();
  const vscode = new CodeServer();
  const opened: string[] = [];
  let chat: Frame;
  before(async () => {
    await server.start();
    server.models = [{ name: 'test-model:latest' }];
    await vscode.start({ 'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }] }, { 'src/a.py': 'A = 1\n' });
    // openExternal in code-server opens a browser page; so would VS Code's own handler.
    vscode.page.context().on('page', (p: Page) => opened.push(p.url() || 'about:blank'));
    chat = await vscode.openChat();
    server.onChat = (body) => ({
      steps: answerLines(body.model, [
        'See [the repo](vscode://file/etc/passwd), ',
        '[a command](command:workbench.action.files.newUntitledFile) ',
        'and [the docs](http://127.0.0.1:9/docs).',
      ]),
    });
    await sendMessage(chat, 'Links please');
    await chat
      .locator('article[data-role="assistant"][data-state="done"] .markdown a', { hasText: 'the docs' })
      .waitFor({ timeout: 30_000 });
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  const link = (name: string) => chat.locator('article[data-role="assistant"] .markdown a', { hasText: name });
  const editorTabs = () => vscode.page.locator('.tabs-container .tab').count();

  it('a vscode: or command: link opens nothing and says so in the chat', T, async () => {
    const tabsBefore = await editorTabs();
    await link('the repo').click();
    await chat.locator('.notice', { hasText: 'Not opening a vscode: link' }).waitFor({ timeout: 10_000 });
    await link('a command').click({ button: 'middle' });
    await chat.locator('.notice', { hasText: 'Not opening a command: link' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(opened, [], 'no page was opened');
    assert.equal(await editorTabs(), tabsBefore, 'no editor was opened');
    await vscode.screenshot('links-refused');
  });

  it('a web link opens exactly once, whether clicked or middle-clicked', T, async () => {
    const steps: Array<[() => Promise<void>, string, string]> = [
      [() => link('the docs').click(), 'the repo', 'vscode:'],
      [() => link('the docs').click({ button: 'middle' }), 'a command', 'command:'],
    ];
    for (const [i, [click, refusedLink, scheme]] of steps.entries()) {
      await click();
      await waitUntil(() => opened.length >= i + 1);
      // A barrier instead of a sleep: once the host has answered a later click, the earlier one is fully handled.
      await link(refusedLink).click();
      await chat.locator('.notice', { hasText: `Not opening a ${scheme} link` }).waitFor({ timeout: 10_000 });
      assert.equal(opened.length, i + 1, `one page per click, got ${JSON.stringify(opened)}`);
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
