/**
 * The built-in engine in a real VS Code (code-server) with the platform .vsix (node-llama-cpp and this machine's
 * llama.cpp binaries): no model server answers, the empty chat offers the built-in engine, its suggestions and a
 * file picker; a .gguf file is picked through the editor's own open dialog and a question is answered by it.
 * The model is install.sh's tiny random-weight GGUF: its words are noise, the engine's behaviour is what counts.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { SUGGESTED_MODELS } from '../../src/shared/suggestedModels';
import { closedPort } from '../fakes/ports';
import { LLAMA_HOME } from '../real-server/llamaServer';
import { CodeServer, platformVsix } from './codeServer';
import { sendMessage } from './messageBox';

const TINY = join(LLAMA_HOME, 'tiny.gguf');
const skip = existsSync(TINY) ? false : `the tiny model is missing (${TINY}): run \`bash test/real-server/install.sh\``;
const docs = join(__dirname, '..', '..', 'docs');
const vscode = new CodeServer();
let chat: Frame;
let ollamaUrl = '';

async function waitFor(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) {
      await vscode.screenshot(`embedded-timeout`).catch(() => {});
      throw new Error(`Timed out waiting for ${what} (see test-output/e2e/embedded-timeout.png)`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Types a path into the editor's open dialog (its quick-input form) and accepts it, as export.test.ts does. */
async function typeIntoOpenDialog(path: string): Promise<void> {
  const widget = vscode.page.locator('.quick-input-widget');
  const input = widget.locator('input').first();
  // The dialog fills in a folder once it has listed it, over anything typed before.
  await waitFor(async () => (await input.inputValue().catch(() => '')).startsWith('/'), 'the open dialog to fill in its folder');
  for (let attempt = 1; ; attempt++) {
    await input.focus();
    await vscode.page.keyboard.press('Control+A');
    // Key by key: the dialog completes names from its listing as they are typed, and the next key types over that.
    await vscode.page.keyboard.type(path, { delay: 5 });
    // The dialog can fill in its folder again while the path is typed (seen on a loaded machine): type it again.
    const typed = await waitFor(async () => (await input.inputValue()) === path, 'the typed path', 5_000).then(
      () => true,
      (err: Error) => (attempt === 3 ? Promise.reject(err) : false),
    );
    if (!typed) continue;
    await vscode.page.keyboard.press('Enter');
    try {
      // The dialog checks the path on the server before it closes, which is slow on a loaded machine; typing over
      // it again while it checks can undo the pick (seen once in a full run: still open after three 5 s waits).
      await widget.waitFor({ state: 'hidden', timeout: 15_000 });
      return;
    } catch (err) {
      if (!(await widget.isVisible())) return;
      if (attempt === 3) {
        await vscode.screenshot('embedded-open-dialog-stuck').catch(() => {});
        throw err;
      }
    }
  }
}

describe('The built-in engine in a real VS Code (code-server), with no model server', { skip, timeout: 15 * 60_000 }, () => {
  before(async () => {
    const vsix = platformVsix();
    ollamaUrl = `http://127.0.0.1:${await closedPort()}`;
    await vscode.start(
      {
        // A configured Ollama that does not answer: the first run of a user who has not installed it.
        'modelChat.endpoints': [{ name: 'Ollama', type: 'ollama', url: ollamaUrl }],
        // One llama.cpp thread: the machine's few cores are shared with code-server, Chromium and other tests.
        'modelChat.embedded.threads': 1,
        // VS Code's own dialog (a quick input a user types a path into) rather than the browser's file picker.
        'files.simpleDialog.enable': true,
      },
      {},
      { vsix },
    );
    chat = await vscode.openChat();
  });
  after(() => vscode.stop());

  it(
    'offers the built-in engine when Ollama cannot be reached, then its suggested models and a file picker',
    { timeout: 120_000 },
    async () => {
      const empty = chat.locator('.empty-state');
      await waitFor(async () => (await empty.getAttribute('data-setup')) === 'unreachable', 'the unreachable state', 60_000);
      assert.match(await empty.innerText(), new RegExp(`Can't reach Ollama at ${ollamaUrl.replace(/\./g, '\\.')}`));
      await empty.getByRole('button', { name: 'Use the built-in engine', exact: true }).click();

      await waitFor(async () => (await empty.getAttribute('data-setup')) === 'noModels', 'the built-in engine without a model');
      assert.match(await empty.innerText(), /The built-in engine has no model yet/);
      const rows = empty.getByRole('list', { name: 'Suggested models' }).getByRole('listitem');
      assert.equal(await rows.count(), SUGGESTED_MODELS.length);
      assert.match(await rows.first().innerText(), new RegExp(SUGGESTED_MODELS[0].size));
      await vscode.screenshotSidebar(join(__dirname, '..', '..', 'test-output', 'e2e', 'embedded-suggestions.png'));
    },
  );

  it('a .gguf file picked in the open dialog becomes the chat model, and an answer streams from it', { timeout: 8 * 60_000 }, async () => {
    // The file a user has, outside the models folder (the pick links or copies it in).
    const picked = join(vscode.dir, 'downloads', 'tiny.gguf');
    mkdirSync(join(picked, '..'), { recursive: true });
    copyFileSync(TINY, picked);
    const empty = chat.locator('.empty-state');
    await empty.getByRole('button', { name: 'Pick a .gguf file…', exact: true }).click();
    await typeIntoOpenDialog(picked);

    await waitFor(async () => (await empty.getAttribute('data-setup')) === 'ready', 'the chat to be ready with the picked model');
    assert.match(await empty.innerText(), /Ask tiny anything/);

    await sendMessage(chat, 'Say hello in one short sentence.');
    const answer = chat.locator('article[data-role="assistant"]').last();
    // Text arrives before the answer ends: it streams (loading the model and the first token take a few seconds).
    await waitFor(
      async () =>
        (await answer.getAttribute('data-state').catch(() => null)) === 'streaming' &&
        (await answer.locator('.markdown').innerText()).trim().length > 0,
      'streamed text while the answer is still being written',
      180_000,
    );
    // A random-weight model never picks its end token (measured: still writing after 90 s, context shifting on),
    // so the answer is ended as a user would: Stop. What was streamed stays, and no more comes.
    await chat.getByRole('button', { name: 'Stop', exact: true }).click();
    await waitFor(async () => (await answer.getAttribute('data-state')) === 'stopped', 'the answer to stop', 30_000);
    const kept = await answer.locator('.markdown').innerText();
    assert.ok(kept.trim().length > 0, `the streamed text is kept: ${await answer.innerHTML()}`);
    // No token after Stop: the text is the same a while later (a bounded wait for a change that must not come).
    await assert.rejects(
      waitFor(async () => (await answer.locator('.markdown').innerText()) !== kept, 'more text after Stop', 3_000),
      /Timed out/,
    );
    await answer.scrollIntoViewIfNeeded();
    await vscode.screenshotSidebar(join(__dirname, '..', '..', 'test-output', 'e2e', 'embedded-answer.png'));
    // The README's picture is retaken only on request: a test run must not rewrite tracked files.
    if (process.env.UPDATE_DOCS) {
      mkdirSync(docs, { recursive: true });
      copyFileSync(join(__dirname, '..', '..', 'test-output', 'e2e', 'embedded-answer.png'), join(docs, 'built-in-engine.png'));
    }
  });
});
