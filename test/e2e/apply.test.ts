/**
 * Issue 18, points 1 and 3 in the real editor: a code block naming its file is applied through VS Code's
 * diff editor. Reject leaves the file, Accept writes it, a file changed during the review is re-diffed and
 * not overwritten, and "Undo changes of this answer" restores it.
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

const ORIGINAL = `export function greet(name: string): string {
  return 'Hi ' + name;
}

export const answer = 42;
`;
const BLOCK = 'export function greet(name: string): string {\n  return `Hello, ${name}!`;\n}\n';
const ANSWER = ['Here is the change:\n\n', '```ts src/app.ts\n', BLOCK, '```\n'];
const APPLIED = ORIGINAL.replace("  return 'Hi ' + name;", '  return `Hello, ${name}!`;');

describe('Apply, review and undo in a real VS Code (code-server)', { timeout: 8 * 60_000 }, () => {
  const server = new FakeOllama();
  const vscode = new CodeServer();
  let chat: Frame;
  const file = () => join(vscode.workspace, 'src', 'app.ts');
  const onDisk = () => readFileSync(file(), 'utf8');

  before(async () => {
    await server.start();
    server.models = [{ name: 'test-model:latest' }];
    await vscode.start({ 'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }] }, { 'src/app.ts': ORIGINAL });
    chat = await vscode.openChat();
    server.onChat = (body) => ({ steps: answerLines(body.model, ANSWER) });
    await sendMessage(chat, 'Make greet friendlier');
    await chat.locator('article[data-role="assistant"][data-state="done"] pre').waitFor({ timeout: 30_000 });
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  const apply = async () => {
    const pre = chat.locator('article[data-role="assistant"] pre').first();
    await pre.hover();
    await pre.locator('[data-ui] button[aria-label="Apply"]').click();
  };
  const accept = () => chat.locator('.edit-review button[aria-label="Accept"]');
  const reject = () => chat.locator('.edit-review button[aria-label="Reject"]');
  const diffEditor = () => vscode.page.locator('.monaco-diff-editor').first();
  const diffTab = () => vscode.page.locator('.tabs-container .tab', { hasText: 'proposed' });

  it('Apply opens the diff editor and Reject leaves the file as it was', T, async () => {
    await apply();
    await diffEditor().waitFor({ timeout: 30_000 });
    await diffTab().first().waitFor();
    await accept().waitFor();
    // The proposal side shows the new line, the file side the old one, before anything is written.
    await diffEditor().locator('.editor.modified .view-line', { hasText: 'Hello, ${name}!' }).first().waitFor();
    await diffEditor().locator('.editor.original .view-line', { hasText: "'Hi ' + name" }).first().waitFor();
    // The diff editor's own title has Accept and Reject too.
    await vscode.page.locator('.editor-actions [aria-label="Accept proposed change"]').first().waitFor();
    await vscode.page.locator('.editor-actions [aria-label="Reject proposed change"]').first().waitFor();
    await vscode.screenshot('apply-diff');
    await reject().click();
    await accept().waitFor({ state: 'detached' });
    await diffTab().first().waitFor({ state: 'detached' });
    assert.equal(onDisk(), ORIGINAL);
  });

  it('a file changed during the review is re-diffed, not overwritten; Accept then writes the merged text', T, async () => {
    await apply();
    await accept().waitFor({ timeout: 30_000 });
    await diffEditor().locator('.editor.modified .view-line', { hasText: 'Hello, ${name}!' }).first().waitFor();
    const changed = `${ORIGINAL}export const other = 1;\n`;
    writeFileSync(file(), changed);
    // The diff's file side follows the disk: then the editor knows of the change too.
    await diffEditor().locator('.editor.original .view-line', { hasText: 'export const other = 1;' }).first().waitFor({ timeout: 30_000 });
    await accept().click();
    await chat.locator('.edit-review-note', { hasText: 'changed during the review' }).waitFor({ timeout: 30_000 });
    assert.equal(onDisk(), changed, 'nothing written over the change');
    await diffEditor().locator('.editor.modified .view-line', { hasText: 'export const other = 1;' }).first().waitFor();
    await vscode.screenshot('apply-rediff');
    await accept().click();
    await accept().waitFor({ state: 'detached', timeout: 30_000 });
    await waitFor(
      () => onDisk() === `${APPLIED}export const other = 1;\n`,
      () => `on disk: ${onDisk()}`,
    );
  });

  it('"Undo changes of this answer" restores the file as it was before the answer\'s change', T, async () => {
    const undo = chat.locator('article[data-role="assistant"] button[aria-label="Undo changes of this answer"]');
    await undo.waitFor({ timeout: 30_000 });
    await vscode.screenshot('apply-undo-button');
    await undo.click();
    await waitFor(
      () => onDisk() === `${ORIGINAL}export const other = 1;\n`,
      () => `on disk: ${onDisk()}`,
    );
    await undo.waitFor({ state: 'detached' });
  });

  it('several blocks for several files wait side by side and Accept all writes them, a new file included', T, async () => {
    const util = 'export const twice = (n: number) => n * 2;\n';
    writeFileSync(join(vscode.workspace, 'src', 'util.ts'), util);
    server.onChat = (body) => ({
      steps: answerLines(body.model, [
        'A new module:\n\n```ts:src/new.ts\nexport const fresh = true;\n```\n\n',
        'And in `src/util.ts`:\n\n```ts\nexport const twice = (n: number) => n + n;\n```\n',
      ]),
    });
    await sendMessage(chat, 'Two files please');
    const answer = chat.locator('article[data-role="assistant"][data-state="done"]').nth(1);
    await answer.locator('pre').nth(1).waitFor({ timeout: 30_000 });
    for (const i of [0, 1]) {
      const pre = answer.locator('pre').nth(i);
      await pre.hover();
      await pre.locator('[data-ui] button[aria-label="Apply"]').click();
      await accept().nth(i).waitFor({ timeout: 30_000 });
    }
    await chat.locator('.edit-review', { hasText: 'src/new.ts' }).waitFor();
    await chat.locator('.edit-review', { hasText: 'src/util.ts' }).waitFor();
    await vscode.screenshot('apply-several');
    await chat.locator('button[aria-label="Accept all"]').click();
    await accept()
      .first()
      .waitFor({ state: 'detached', timeout: 30_000 })
      .catch(async (err: unknown) => {
        await vscode.screenshot('apply-several-failed');
        throw err;
      });
    await waitFor(
      () => readFileSync(join(vscode.workspace, 'src', 'util.ts'), 'utf8') === 'export const twice = (n: number) => n + n;\n',
      () => 'util.ts',
    );
    assert.equal(readFileSync(join(vscode.workspace, 'src', 'new.ts'), 'utf8'), 'export const fresh = true;\n');
    // A file changed after the answer: Undo warns first, and restores only once told to.
    writeFileSync(join(vscode.workspace, 'src', 'util.ts'), 'export const twice = (n: number) => 2 * n;\n');
    await answer.locator('button[aria-label="Undo changes of this answer"]').click();
    const dialog = vscode.page.locator('.monaco-dialog-box', { hasText: 'changed since this answer' });
    await dialog.waitFor({ timeout: 30_000 });
    await vscode.screenshot('apply-undo-warning');
    await dialog.locator('.monaco-button', { hasText: 'Undo Anyway' }).first().click();
    // Undoing this answer deletes the file it created and restores the other.
    await waitFor(
      () => !existsSync(join(vscode.workspace, 'src', 'new.ts')),
      () => 'new.ts still there',
    );
    await waitFor(
      () => readFileSync(join(vscode.workspace, 'src', 'util.ts'), 'utf8') === util,
      () => 'util.ts not restored',
    );
  });

  it('a block whose place is unclear can be merged by the model, then reviewed like any proposal', T, async () => {
    const mergeFile = join(vscode.workspace, 'src', 'merge.ts');
    writeFileSync(mergeFile, 'export const a = 1;\nexport const b = 2;\n');
    const merged = 'export const a = 1;\nexport const b = 3;\n';
    let mergeRequest: any;
    server.onChat = (body) => {
      if (String(body.messages[0]?.content).startsWith('You merge a change')) {
        mergeRequest = body;
        return { steps: answerLines(body.model, ['```ts\n', merged, '```\n']) };
      }
      // A search block that is not in the file: where it goes is unclear.
      return {
        steps: answerLines(body.model, [
          '```ts src/merge.ts\n<<<<<<< SEARCH\nexport const b = 1;\n=======\nexport const b = 3;\n>>>>>>> REPLACE\n```\n',
        ]),
      };
    };
    await sendMessage(chat, 'Set b to 3');
    const answer = chat.locator('article[data-role="assistant"][data-state="done"]').nth(2);
    const pre = answer.locator('pre').first();
    await pre.waitFor({ timeout: 30_000 });
    await pre.hover();
    await pre.locator('[data-ui] button[aria-label="Apply"]').click();
    const toast = vscode.page.locator('.notification-toast', { hasText: 'is unclear' });
    await toast.waitFor({ timeout: 30_000 });
    await vscode.screenshot('apply-ask-model');
    await toast.locator('.monaco-button', { hasText: 'Ask the Model to Merge' }).click();
    await accept().waitFor({ timeout: 30_000 });
    await diffEditor().locator('.editor.modified .view-line', { hasText: 'export const b = 3;' }).first().waitFor({ timeout: 30_000 });
    // A side request: the file and the block only, not the conversation.
    assert.equal(mergeRequest.messages.length, 2);
    assert.ok(!JSON.stringify(mergeRequest.messages).includes('Set b to 3'));
    assert.equal(readFileSync(mergeFile, 'utf8'), 'export const a = 1;\nexport const b = 2;\n');
    await vscode.screenshot('apply-model-merge-diff');
    await accept().click();
    await waitFor(
      () => readFileSync(mergeFile, 'utf8') === merged,
      () => readFileSync(mergeFile, 'utf8'),
    );
  });
});

async function waitFor(condition: () => boolean, describe: () => string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out: ${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
