/**
 * Issue 15, part 1 in the real editor: after a tool turn, a follow-up question's /api/chat request carries the
 * assistant's tool call and the tool's result, and still does after the window is reloaded (a new extension
 * host that reads the conversation back from disk). The packaged .vsix in code-server, the published MCP
 * server-everything over stdio, the Ollama-speaking test server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { everythingBin } from '../fakes/mcpServers';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const T = { timeout: 120_000 };
const ECHO = { function: { name: 'echo', arguments: { message: 'hi from the tool' } } };
/** The first turn as Ollama must get it in every later request. */
const EXCHANGE = [
  { role: 'user', content: 'Echo something' },
  { role: 'assistant', content: '', tool_calls: [ECHO] },
  { role: 'tool', content: 'Echo: hi from the tool', tool_name: 'echo' },
  { role: 'assistant', content: 'The tool echoed it.' },
];

describe('tool calls in later turns, in a real VS Code (code-server)', { timeout: 8 * 60_000 }, () => {
  const server = new FakeOllama();
  const vscode = new CodeServer();
  let chat: Frame;
  before(async () => {
    await server.start();
    server.models = [{ name: 'test-model:latest' }];
    // The model asks for echo when the question is the first one; otherwise it answers with text.
    server.onChat = (body) => {
      const last = body.messages.at(-1);
      if (last.role === 'user' && last.content === 'Echo something') return { steps: answerLines(body.model, [], { toolCalls: [ECHO] }) };
      return { steps: answerLines(body.model, [last.role === 'tool' ? 'The tool echoed it.' : 'It said: Echo: hi from the tool']) };
    };
    await vscode.start({
      'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }],
      'modelChat.mcp.servers': { everything: { type: 'stdio', command: process.execPath, args: [everythingBin()] } },
      'modelChat.tools.approval': 'always',
    });
    chat = await vscode.openChat();
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  /** Sends from the message box and waits until the answer to it is done (its chat request seen first). */
  async function ask(text: string): Promise<any[]> {
    const requests = server.chatRequests.length;
    await sendMessage(chat, text);
    await server.until(() => server.chatRequests.length > requests, 30_000);
    await chat.locator('article[data-role="assistant"]:last-of-type[data-state="done"]').waitFor({ timeout: 30_000, state: 'attached' });
    return server.chatRequests.at(-1)!.body.messages;
  }

  it('a follow-up after a tool turn carries the call and its result', T, async () => {
    await ask('Echo something');
    await chat.locator('[data-tool="echo"][data-state="done"]').waitFor({ timeout: 30_000 });
    await chat.locator('article[data-role="assistant"] .markdown', { hasText: 'The tool echoed it.' }).waitFor({ timeout: 30_000 });
    const followUp = await ask('What did the tool say?');
    assert.deepEqual(followUp, [...EXCHANGE, { role: 'user', content: 'What did the tool say?' }]);
    await vscode.screenshot('tool-history-follow-up');
  });

  it('after a window reload the restored conversation still carries them', T, async () => {
    const articles = await chat.locator('article').count();
    // In code-server, Reload Window reloads the page: a new workbench and a new extension host.
    await vscode.page.reload();
    await vscode.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    chat = await vscode.openChat();
    await chat
      .locator('article')
      .nth(articles - 1)
      .waitFor({ timeout: 30_000, state: 'attached' });
    await chat.locator('[data-tool="echo"][data-state="done"]').waitFor({ timeout: 30_000 });
    await vscode.screenshot('tool-history-after-reload');
    const again = await ask('And once more after the reload?');
    assert.deepEqual(again, [
      ...EXCHANGE,
      { role: 'user', content: 'What did the tool say?' },
      { role: 'assistant', content: 'It said: Echo: hi from the tool' },
      { role: 'user', content: 'And once more after the reload?' },
    ]);
    await vscode.screenshot('tool-history-after-reload-answered');
  });
});
