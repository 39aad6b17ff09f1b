/**
 * Syntax highlighting runs in a worker in the real editor too: under VS Code's webview CSP and resource
 * origin (not the page's), the worker starts from the extension's own bundle, and highlight.js never runs
 * on the page's thread (where its first use was a long task in the middle of an answer).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const server = new FakeOllama();
const vscode = new CodeServer();
let chat: Frame;

describe('syntax highlighting in a worker, in code-server', { timeout: 5 * 60_000 }, () => {
  before(async () => {
    await server.start();
    await vscode.start({ 'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }] });
    chat = await vscode.openChat();
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  it('highlights a code block from the worker, not the page', { timeout: 90_000 }, async () => {
    server.onChat = (body) => ({
      steps: answerLines(body.model, ['Here:\n\n', '```python\n', 'def add(a, b):\n    return a + b\n', '```\n']),
    });
    await sendMessage(chat, 'Some code');
    const code = chat.locator('article[data-role="assistant"] .markdown pre code');
    await code.locator('.hljs-keyword').first().waitFor({ timeout: 20_000 });
    assert.equal(await code.textContent(), 'def add(a, b):\n    return a + b\n');
    // Functions, not strings: a string is eval'd in the page, which the webview's CSP forbids.
    const onPage = await chat.evaluate(() => ({
      fn: typeof (window as unknown as { modelChatHighlight?: unknown }).modelChatHighlight,
      scripts: Array.from(document.scripts).filter((s) => s.src.includes('highlight')).length,
    }));
    assert.deepEqual(onPage, { fn: 'undefined', scripts: 0 });
    await vscode.screenshot('highlight-worker');
  });
});
