/**
 * Issue 17 in the real editor: a model whose context is small (Ollama's /api/show says 2,048) gets a question
 * that does not fit, and Ollama evaluates only what fits num_ctx. The answer says the model saw only part of
 * the conversation, with its buttons; "Compact conversation" writes the collapsed summary; after a window
 * reload (a new extension host reading the conversation from disk) both are still there and the next request
 * goes with the summary instead of the old turn, without summarising again. The packaged .vsix in code-server,
 * the Ollama-speaking test server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { answerLines, doneLine, FakeOllama } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const T = { timeout: 180_000 };
const CONTEXT = 2048;
const SUMMARY = 'The user asked about apples.';
/** On a loaded machine the webview can take longer than openChat waits: wait on for it, then fail. */
const openChat = (vscode: CodeServer) => vscode.openChat().catch(() => vscode.chatFrame(120_000));
const isSummaryRequest = (body: any) => /^You write the summary/.test(body.messages[0]?.content ?? '');

describe('the truncation note and compaction, in a real VS Code (code-server)', { timeout: 8 * 60_000 }, () => {
  const server = new FakeOllama();
  const vscode = new CodeServer();
  let chat: Frame;
  before(async () => {
    await server.start();
    server.models = [{ name: 'small-model:latest' }];
    server.modelInfo.set('small-model:latest', { 'general.architecture': 'llama', 'llama.context_length': CONTEXT });
    server.onChat = (body) => {
      if (isSummaryRequest(body)) return { steps: answerLines(body.model, [SUMMARY]) };
      // Ollama keeps the end of a prompt longer than num_ctx and evaluates only that much.
      const sent = JSON.stringify(body.messages).length / 4;
      const numCtx = body.options?.num_ctx ?? CONTEXT;
      const text = `Answer ${server.chatRequests.length}.`;
      const evaluated = Math.min(Math.round(sent), numCtx);
      return { steps: [...answerLines(body.model, [text]).slice(0, -1), doneLine(body.model, 1, evaluated)] };
    };
    await vscode.start({
      'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }],
      'modelChat.context.autoCompact': false,
    });
    chat = await openChat(vscode);
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  async function ask(text: string): Promise<void> {
    const requests = server.chatRequests.length;
    await sendMessage(chat, text);
    await server.until(() => server.chatRequests.length > requests, 30_000);
    await chat.locator('article[data-role="assistant"]:last-of-type[data-state="done"]').waitFor({ timeout: 30_000, state: 'attached' });
  }

  it('says under the answer that the model saw only part of it, with Raise the context and Compact conversation', T, async () => {
    await ask('Tell me about apples.');
    assert.equal(await chat.locator('[data-ui="truncated"]').count(), 0, 'a prompt that fits has no note');
    await ask(`And pears? ${'Pears are pomaceous fruit of the genus Pyrus. '.repeat(300)}`);
    assert.equal(server.chatRequests.at(-1)!.body.options?.num_ctx, CONTEXT, 'num_ctx is the model’s maximum, not more');
    const note = chat.locator('article[data-role="assistant"]:last-of-type [data-ui="truncated"]');
    await note.waitFor({ timeout: 30_000 });
    assert.match((await note.textContent()) ?? '', /The model saw only part of the conversation: 2,048 of about [\d,]+ tokens/);
    assert.deepEqual(await note.locator('button').allTextContents(), ['Raise the context', 'Compact conversation']);
    await vscode.screenshot('context-note');
  });

  it('"Compact conversation" writes the collapsed summary; it is still there after a reload and is what the model gets', T, async () => {
    const requests = server.chatRequests.length;
    await chat.locator('[data-ui="truncated"] button', { hasText: 'Compact conversation' }).click();
    const summary = chat.locator('details[data-ui="summary"]');
    await summary.waitFor({ timeout: 30_000 });
    await server.until(() => server.chatRequests.length > requests, 30_000);
    assert.ok(isSummaryRequest(server.chatRequests.at(-1)!.body));
    await chat.locator('article[data-state="done"] details[data-ui="summary"]').waitFor({ timeout: 30_000, state: 'attached' });
    assert.equal(await summary.getAttribute('open'), null, 'collapsed');
    assert.match((await summary.locator('summary').textContent()) ?? '', /^Summary of earlier messages \(2\)/);
    await vscode.screenshot('context-compacted');

    // In code-server, Reload Window reloads the page: a new workbench and a new extension host.
    await vscode.page.reload();
    await vscode.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    chat = await openChat(vscode);
    await chat.locator('details[data-ui="summary"]').waitFor({ timeout: 30_000, state: 'attached' });
    await chat.locator('[data-ui="truncated"]').waitFor({ timeout: 30_000, state: 'attached' });
    assert.equal(await chat.locator('article[data-role="user"]').count(), 2, 'the originals are kept');
    await chat.locator('details[data-ui="summary"] summary').click();
    await chat.locator('details[data-ui="summary"] .markdown', { hasText: SUMMARY }).waitFor({ timeout: 30_000 });
    await vscode.screenshot('context-summary-after-reload');

    const before = server.chatRequests.length;
    await ask('And plums?');
    const sent = server.chatRequests.slice(before).map((r) => r.body);
    assert.equal(sent.length, 1, 'no second summary: the stored one is used');
    const contents = sent[0].messages.map((m: any) => String(m.content));
    assert.match(contents[0], new RegExp(`Summary of the earlier conversation[\\s\\S]*${SUMMARY}`));
    assert.ok(!contents.some((c: string) => c.startsWith('Tell me about apples')), 'the summarised turn is left out');
    assert.ok(contents.at(-1)!.endsWith('And plums?'));
  });
});
