/**
 * Restricted Mode: the extension still works (capabilities.untrustedWorkspaces is "limited"), but MCP
 * servers from the workspace's .vscode/mcp.json never start, and of the built-in workspace tools only the
 * read-only ones are offered. test/e2e/chat.test.ts is the positive control: the same mcp.json in a trusted
 * workspace offers its tools.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fakeServerScript } from '../fakes/mcpServers';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

describe('Model Chat in an untrusted workspace (Restricted Mode)', { timeout: 5 * 60_000 }, () => {
  const server = new FakeOllama();
  const vscode = new CodeServer();
  before(async () => {
    await server.start();
    await vscode.start(
      { 'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }], 'modelChat.tools.approval': 'always' },
      { '.vscode/mcp.json': JSON.stringify({ servers: { fake: { type: 'stdio', command: process.execPath, args: [fakeServerScript] } } }) },
      { trusted: false },
    );
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  it(
    'chats, but starts no server from .vscode/mcp.json and offers the model only the read-only workspace tools',
    { timeout: 120_000 },
    async () => {
      await vscode.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
      const chat = await vscode.openChat();
      server.onChat = (body) => ({ steps: answerLines(body.model, ['Hello from restricted mode.']) });
      await sendMessage(chat, 'Any tools?');
      await chat.locator('article[data-role="assistant"][data-state="done"]').waitFor({ timeout: 30_000 });
      assert.equal((await chat.locator('article[data-role="assistant"] .markdown').textContent())?.trim(), 'Hello from restricted mode.');
      const offered = ((server.chatRequests[0].body.tools ?? []) as Array<{ function: { name: string } }>)
        .map((t) => t.function.name)
        .sort();
      // Nothing from the workspace's server (`whoami`, `crash`, …), nothing that writes or runs.
      assert.deepEqual(offered, ['find_files', 'get_problems', 'list_files', 'read_file', 'search_text']);
      await vscode.screenshot('restricted-mode');
    },
  );
});
