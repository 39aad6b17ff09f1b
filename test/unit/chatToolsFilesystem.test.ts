/**
 * modelChat.tools.approval = "readOnly" through the whole session, with the published server-filesystem on
 * a temporary folder: a read-only tool runs without asking; write_file waits for Allow, then writes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HostToWebview, ToolCallInfo } from '../../src/shared/protocol';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { McpToolSupport } from '../../src/tools/mcp/mcpToolSupport';
import { filesystemBin, memoryLogger, nodeServer } from '../fakes/mcpServers';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';

describe('approval "readOnly" with server-filesystem', { timeout: 60_000 }, () => {
  const server = new FakeOllama();
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'model-chat-fs-')));
  let connections: McpConnections;
  before(async () => {
    writeFileSync(join(dir, 'notes.txt'), 'hello from the folder');
    await server.start();
    connections = new McpConnections([nodeServer('fs', filesystemBin(), [dir])], { logger: memoryLogger() });
  });
  after(async () => {
    await connections.dispose();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs read_text_file at once and asks before write_file', async () => {
    const posted: Array<Exclude<HostToWebview, string>> = [];
    const session = new ChatSession({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'm', maxUpdatesPerSecond: 20 }),
      providerFor: createProvider,
      post: (m) => typeof m !== 'string' && posted.push(structuredClone(m)),
      log: { info() {}, warn() {}, error() {} },
      tools: new McpToolSupport(connections, {
        approval: () => 'readOnly',
        timeoutMs: () => 20_000,
        alwaysAllowed: () => new Set(),
        rememberAlwaysAllowed: () => {},
      }),
    });
    const calls = [
      { function: { name: 'read_text_file', arguments: { path: join(dir, 'notes.txt') } } },
      { function: { name: 'write_file', arguments: { path: join(dir, 'out.txt'), content: 'written by the model' } } },
    ];
    server.onChat = (body, i) => ({
      steps: i === 0 ? answerLines(body.model, [], { toolCalls: calls }) : answerLines(body.model, ['Done.']),
    });
    session.send('Read one file, write another');
    const history = (name: string): ToolCallInfo[] => {
      const added = posted.find((m) => m.type === 'messageAdded' && m.message.tool?.name === name);
      if (!added || added.type !== 'messageAdded') return [];
      return [
        added.message.tool!,
        ...posted.filter((m) => m.type === 'toolUpdate' && m.id === added.message.id).map((m) => (m as { tool: ToolCallInfo }).tool),
      ];
    };
    while (history('write_file').at(-1)?.state !== 'pending' || history('read_text_file').at(-1)?.state !== 'done')
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(history('read_text_file')[0].state, 'running', 'the read-only tool never waited for approval');
    assert.equal(history('write_file')[0].readOnly, false);
    assert.throws(() => readFileSync(join(dir, 'out.txt')), 'nothing written before Allow');
    const writeId = (posted.find((m) => m.type === 'messageAdded' && m.message.tool?.name === 'write_file') as { message: { id: string } })
      .message.id;
    session.resolveApproval(writeId, 'allow');
    await session.idle();
    assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'written by the model');
    const results = server.chatRequests[1].body.messages.filter((m: { role: string }) => m.role === 'tool');
    assert.match(results[0].content, /hello from the folder/);
    assert.equal(history('write_file').at(-1)!.state, 'done');
  });
});
