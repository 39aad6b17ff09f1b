/**
 * Images in, in a real VS Code (code-server) with the packaged .vsix: an image pasted into the message box
 * reaches a vision model with the question (the fake Ollama's request bytes: the tiny llama-server model
 * cannot see), and a model without vision gets a notice instead of a request, the question kept.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { messageBox, sendMessage } from './messageBox';

const T = { timeout: 120_000 };
const server = new FakeOllama();
const vscode = new CodeServer();
let chat: Frame;
const QUESTION = 'What does this chart show?';

/** A canvas-drawn PNG pasted the way the browser does: a ClipboardEvent carrying a File. */
async function pasteImage(frame: Frame): Promise<void> {
  await frame.evaluate(async () => {
    const canvas = new OffscreenCanvas(800, 500);
    const g = canvas.getContext('2d')!;
    const grad = g.createLinearGradient(0, 0, 800, 500);
    grad.addColorStop(0, '#1e88e5');
    grad.addColorStop(1, '#f4511e');
    g.fillStyle = grad;
    g.fillRect(0, 0, 800, 500);
    g.fillStyle = '#fff';
    g.font = '120px sans-serif';
    g.fillText('chart', 200, 300);
    const dt = new DataTransfer();
    dt.items.add(new File([await canvas.convertToBlob({ type: 'image/png' })], 'chart.png', { type: 'image/png' }));
    document
      .querySelector('textarea[aria-label="Message"]')!
      .dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await frame.locator('.composer .image-chip img').waitFor({ timeout: 15_000 });
}

/** Waits until the context meter's figure (its tooltip: "About 1,234 …") is at least `min`; returns it. */
async function meterAtLeast(min: number): Promise<number> {
  const figure = await chat.waitForFunction(
    (n) => {
      const shown = Number(
        /About ([\d,]+)/.exec(document.querySelector('.context-meter')?.getAttribute('title') ?? '')?.[1].replace(/,/g, ''),
      );
      return shown >= n ? shown : false;
    },
    min,
    { timeout: 15_000 },
  );
  return (await figure.jsonValue()) as number;
}

describe('Images in, in a real VS Code (code-server)', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    await server.start();
    server.models = [{ name: 'llava:latest' }, { name: 'text-only:latest' }];
    server.capabilities.set('llava:latest', ['completion', 'vision']);
    server.onChat = (body) => ({ steps: answerLines(body.model, ['A bar chart of ', 'sales by month.']) });
    await vscode.start({
      'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }],
      'modelChat.defaultModel': 'llava:latest',
    });
    chat = await vscode.openChat();
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  it('a pasted image reaches the vision model with the question, and shows under it', T, async () => {
    await pasteImage(chat);
    const box = chat.locator('textarea[aria-label="Message"]');
    await box.fill(QUESTION);
    // The meter counts the image in the box (576 tokens for an Ollama model) and, once sent, in the conversation.
    const withChip = await meterAtLeast(576);
    await box.press('Enter');
    await chat.locator('article[data-role="assistant"][data-state="done"]').waitFor({ state: 'attached', timeout: 30_000 });
    // Sent, the image is the conversation's: the host's figure keeps it (it fell by 576 when images were not counted).
    console.log(`meter in the editor: ${withChip} tokens with the chip, ${await meterAtLeast(withChip)} after the answer`);
    const last = server.chatRequests.at(-1)!.body.messages.at(-1);
    assert.equal(last.role, 'user');
    assert.match(last.content, new RegExp(QUESTION.replace('?', '\\?')));
    assert.equal(last.images.length, 1);
    assert.equal(Buffer.from(last.images[0], 'base64').subarray(1, 4).toString(), 'PNG');
    await chat.locator('article[data-role="user"] .message-images img').waitFor();
    // The pointer rests on the chat, so no tooltip of the activity bar hangs over it.
    await chat.locator('article[data-role="assistant"]').hover();
    await vscode.page.keyboard.press('Escape');
    await vscode.screenshotSidebar(join(__dirname, '..', '..', 'test-output', 'e2e', 'images-in.png'));
  });

  it('a model that cannot see gets a notice, not a request; the question and the image stay in the box', T, async () => {
    await vscode.runCommand('Model Chat: Select model');
    await vscode.page.locator('.quick-input-list .monaco-list-row', { hasText: 'text-only:latest' }).first().click();
    await chat.locator('[aria-label^="Model: E2E Ollama · text-only:latest"]').waitFor({ timeout: 15_000 });
    const before = server.chatRequests.length;
    await pasteImage(chat);
    await sendMessage(chat, 'And this one?');
    await chat.getByText('text-only:latest cannot see images.', { exact: false }).waitFor({ timeout: 15_000 });
    assert.equal(await messageBox(chat).inputValue(), 'And this one?');
    assert.equal(await chat.locator('.composer .image-chip').count(), 1);
    assert.equal(server.chatRequests.length, before, 'nothing was sent to the server');
  });
});
