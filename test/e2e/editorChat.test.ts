/**
 * Chats in editor tabs, in a real VS Code (code-server): two tabs side by side stream at the same time, each
 * answer in its own tab, the tabs named after their conversations; after a window reload both come back.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { answerLines, FakeOllama, paced } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';

const T = { timeout: 120_000 };
const server = new FakeOllama();
const vscode = new CodeServer();
const LEFT = 'Left question about sorting';
const RIGHT = 'Right question about parsing';
let left: Frame;
let right: Frame;

/** Every page (sidebar or tab) holding a message box: a webview is an iframe in an iframe. */
async function chatFrames(): Promise<Frame[]> {
  const found: Frame[] = [];
  for (const frame of vscode.page.frames()) {
    if (frame.isDetached()) continue;
    if (
      await frame
        .locator('textarea[aria-label="Message"]')
        .count()
        .catch(() => 0)
    )
      found.push(frame);
  }
  return found;
}

/** The two editor chats' pages, each showing its model (so each has had its snapshot). */
async function twoReadyChats(timeoutMs = 45_000): Promise<Frame[]> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const frames = await chatFrames();
    const ready = [];
    for (const frame of frames)
      if (
        await frame
          .locator('.model-picker', { hasText: 'test-model:latest' })
          .count()
          .catch(() => 0)
      )
        ready.push(frame);
    if (ready.length === 2) return ready;
    await new Promise((r) => setTimeout(r, 250));
  }
  await vscode.screenshot('editorChat-frames-missing');
  throw new Error(`Two editor chats did not appear.\n--- code-server output ---\n${vscode.output.slice(-3000)}`);
}

async function send(frame: Frame, text: string): Promise<void> {
  const box = frame.locator('textarea[aria-label="Message"]');
  await box.fill(text);
  await box.press('Enter');
}

const answerText = (frame: Frame) => frame.locator('article[data-role="assistant"] .markdown').last().textContent();
const tab = (title: string) => vscode.page.locator('.tabs-container .tab', { hasText: title }).first();

describe('Chats in editor tabs (code-server)', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    await server.start();
    server.models = [{ name: 'test-model:latest', parameter_size: '1B' }];
    // Long enough answers that the second question goes out while the first is still being written.
    server.onChat = (body) => {
      const word = JSON.stringify(body.messages).includes('Left') ? 'left ' : 'right ';
      return { steps: paced(answerLines(body.model, Array<string>(60).fill(word)), 60) };
    };
    await vscode.start({ 'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }] });
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  it('each run of "Open chat in editor" opens another tab; both stream at once, each answer in its own tab', T, async () => {
    // The sidebar chat first: the extension is loaded and its commands are in the palette.
    const sidebar = await vscode.openChat();
    await sidebar.locator('.model-picker', { hasText: 'test-model:latest' }).waitFor({ timeout: 15_000 });
    await vscode.runCommand('View: Close Primary Side Bar');
    await vscode.page.locator('.part.sidebar').waitFor({ state: 'hidden' });
    await vscode.runCommand('Model Chat: Open chat in editor');
    await tab('New chat').waitFor({ timeout: 15_000 });
    await vscode.runCommand('Model Chat: Open chat in editor');
    await vscode.page.locator('.tabs-container .tab', { hasText: 'New chat' }).nth(1).waitFor({ timeout: 15_000 });
    // The second tab into a group of its own on the right: the two chats side by side, each on screen.
    await vscode.runCommand('View: Move Editor into Right Group');
    await vscode.page.locator('.editor-group-container').nth(1).waitFor({ timeout: 15_000 });
    // Moving to a new layout reloads a webview's page: take the two pages as they are once both are ready.
    [left, right] = await twoReadyChats();
    await send(left, LEFT);
    await left.locator('article[data-role="assistant"][data-state="streaming"]').waitFor({ timeout: 20_000 });
    await send(right, RIGHT);
    // The second request arrived while the first answer was still being written: both were open at once.
    const end = Date.now() + 20_000;
    while (server.chatRequests.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.chatRequests.length, 2, 'both questions reached the server');
    assert.equal(
      await left.locator('article[data-role="assistant"][data-state="streaming"]').count(),
      1,
      'the left answer was still streaming',
    );
    await right.locator('article[data-role="assistant"][data-state="streaming"]').waitFor({ timeout: 20_000 });
    await vscode.screenshot('editorChat-streaming');

    for (const frame of [left, right])
      await frame.locator('article[data-role="assistant"][data-state="done"]').waitFor({ timeout: 30_000 });
    assert.equal((await answerText(left))?.trim(), Array<string>(60).fill('left').join(' '));
    assert.equal((await answerText(right))?.trim(), Array<string>(60).fill('right').join(' '));
    // Each tab is named after its conversation.
    await tab(LEFT).waitFor({ timeout: 15_000 });
    await tab(RIGHT).waitFor({ timeout: 15_000 });
    await vscode.screenshot('editorChat-side-by-side');
    const docs = join(__dirname, '..', '..', 'docs');
    mkdirSync(docs, { recursive: true });
    copyFileSync(join(__dirname, '..', '..', 'test-output', 'e2e', 'editorChat-side-by-side.png'), join(docs, 'editor-chats.png'));
  });
});
