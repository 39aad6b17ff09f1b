/**
 * Signing in to an OAuth-protected MCP server in a real VS Code (code-server): the server (the MCP SDK's own
 * authorization server and bearer middleware, test/fakes/oauthMcpServer.ts) answers 401; the chat says it needs
 * sign-in with a Sign in button; pressing it opens the authorization page through `env.openExternal` (a new
 * browser page here), which approves and redirects to our loopback listener; then the model calls the server's
 * tool and answers from its result. Signing out makes the next turn need sign-in again.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { OAuthMcpServer, SECRET, SECRET_TOOL } from '../fakes/oauthMcpServer';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const model = new FakeOllama();
const vault = new OAuthMcpServer();
const vscode = new CodeServer();
const out = join(__dirname, '..', '..', 'test-output', 'e2e');
let chat: Frame;

/** The model calls the vault's tool when it is offered, and answers from its result; otherwise it says it cannot. */
function scriptModel(): void {
  model.onChat = (body) => {
    const last = body.messages.at(-1);
    if (last.role === 'tool') return { steps: answerLines(body.model, [`From the vault: ${String(last.content).trim()}`]) };
    const offered = (body.tools ?? []).some((t: { function: { name: string } }) => t.function.name === SECRET_TOOL);
    if (!offered) return { steps: answerLines(body.model, ['I cannot reach the vault.']) };
    return { steps: answerLines(body.model, [], { toolCalls: [{ function: { name: SECRET_TOOL, arguments: {} } }] }) };
  };
}

// A round that only calls a tool is an answer without text: only answers with text count.
const answers = () => chat.locator('article[data-role="assistant"][data-state="done"] .markdown').filter({ hasText: /\S/ });
let answered = 0;

async function send(text: string): Promise<void> {
  answered = await answers().count();
  await sendMessage(chat, text);
}

/** The text of the turn's answer: the first answer with text after those there were when it was sent. */
async function lastAnswer(): Promise<string> {
  const answer = answers().nth(answered);
  await answer.waitFor({ timeout: 60_000 }).catch(async (e) => {
    await vscode.screenshot('mcp-sign-in-no-answer');
    throw e;
  });
  return ((await answer.textContent()) ?? '').trim();
}

describe('MCP sign-in in a real VS Code (code-server)', { timeout: 8 * 60_000 }, () => {
  before(async () => {
    await model.start();
    await vault.start();
    model.models = [{ name: 'test-model:latest', parameter_size: '1B' }];
    scriptModel();
    await vscode.start(
      {
        'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: model.url }],
        'modelChat.mcp.servers': { vault: { type: 'http', url: vault.url } },
      },
      { 'README.md': '# sample\n' },
    );
    // On a loaded machine the webview can take longer than the harness's 30 s to appear.
    chat = await vscode.openChat().catch(() => vscode.chatFrame(180_000));
  });
  after(async () => {
    await vscode.stop();
    await vault.stop();
    await model.stop();
  });

  it('says the server needs sign-in; Sign in goes through the browser; the tool then works; sign-out needs sign-in again', async () => {
    await send('What is the vault code?');
    const notice = chat.locator('.notice', { hasText: 'MCP server "vault"' });
    await notice.waitFor({ timeout: 60_000 });
    // Under the pointer the notice stays (it hides itself after 10 s otherwise): a loaded machine must not lose it.
    await notice.hover();
    const text = (await notice.textContent()) ?? '';
    assert.match(text, /needs you to sign in/);
    assert.doesNotMatch(text, /SSE/);
    assert.ok(vault.refused >= 1, 'the server refused without a token');
    assert.equal(vault.authorizations, 0, 'no browser step before the user asked');
    assert.equal(await lastAnswer(), 'I cannot reach the vault.');
    for (const width of [320, 500]) {
      await vscode.setSidebarWidth(width);
      await notice.hover();
      await vscode.screenshotSidebar(join(out, `mcp-sign-in-${width}.png`));
    }

    // env.openExternal opens the authorization page as a new browser page; the server approves and redirects to
    // the loopback listener, which answers with its closing page.
    const opened = vscode.page.context().waitForEvent('page', { timeout: 60_000 });
    await notice.getByRole('button', { name: 'Sign in' }).click();
    const browser: Page = await opened;
    await browser.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/, { timeout: 60_000 });
    await browser.getByText('Sign-in is complete').waitFor({ timeout: 30_000 });
    assert.equal(vault.authorizations, 1);
    await vscode.page.locator('.notification-toast', { hasText: 'Signed in to MCP server "vault" (1 tools)' }).waitFor({ timeout: 60_000 });
    await browser.close();

    await send('And now?');
    const card = chat.locator(`[data-tool="${SECRET_TOOL}"]`);
    await card.waitFor({ timeout: 60_000 });
    await card.locator('button[aria-label="Allow"]').click();
    await chat.locator(`[data-tool="${SECRET_TOOL}"][data-state="done"]`).waitFor({ timeout: 60_000 });
    assert.equal(await lastAnswer(), `From the vault: ${SECRET}`);
    assert.equal(vault.calls, 1);
    const result = model.chatRequests.at(-1)!.body.messages.at(-1);
    assert.equal(result.role, 'tool');
    assert.ok(String(result.content).includes(SECRET), "the model's follow-up carries the tool's result");
    await vscode.screenshot('mcp-sign-in-done');

    await vscode.runCommand('Model Chat: Sign out of MCP server…');
    await vscode.page.locator('.quick-input-list .monaco-list-row', { hasText: 'vault' }).first().waitFor();
    await vscode.page.keyboard.press('Enter');
    await vscode.page.locator('.notification-toast', { hasText: 'Signed out of MCP server "vault"' }).waitFor({ timeout: 30_000 });

    const refusedBefore = vault.refused;
    await send('Once more?');
    await notice.waitFor({ timeout: 60_000 });
    assert.match((await notice.textContent()) ?? '', /needs you to sign in/);
    assert.equal(await lastAnswer(), 'I cannot reach the vault.');
    assert.ok(vault.refused > refusedBefore, 'the server was asked again, without a token');
    assert.equal(vault.calls, 1);
    assert.equal(vault.authorizations, 1);
  });
});
