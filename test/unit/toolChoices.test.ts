/**
 * Turning tools off: only the tools a conversation has on go in the request (the real ChatSession and
 * ollama client against the scripted server, the published server-everything over stdio); a call to one
 * that is off is answered as unknown, never run; the workspace's choice cannot turn on what the user turned
 * off everywhere; the menu's token figures are the shared estimate of each definition's JSON.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseWebviewMessage, type HostToWebview } from '../../src/shared/protocol';
import { estimateTokens } from '../../src/shared/tokens';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { McpToolSupport } from '../../src/tools/mcp/mcpToolSupport';
import { ToolChoices, type ToolChoiceStore } from '../../src/tools/toolChoices';
import type { ToolDescriptor, ToolSupport } from '../../src/tools/toolSupport';
import { everythingBin, memoryLogger, nodeServer } from '../fakes/mcpServers';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';

function memoryStore(): ToolChoiceStore {
  let user: string[] = [];
  let workspace: string[] = [];
  const conversations = new Map<string, Record<string, boolean>>();
  return {
    userOff: () => user,
    setUserOff: (k) => (user = k),
    workspaceOff: () => workspace,
    setWorkspaceOff: (k) => (workspace = k),
    conversation: (id) => conversations.get(id) ?? {},
    setConversation: (id, c) => conversations.set(id, c),
  };
}

describe('tools turned on and off', { timeout: 60_000 }, () => {
  const server = new FakeOllama();
  let connections: McpConnections;
  let choices: ToolChoices;
  let session: ChatSession;
  let posted: HostToWebview[];
  const offered = (i: number) => (server.chatRequests[i].body.tools ?? []).map((t: any) => t.function.name).sort();

  before(async () => {
    await server.start();
    connections = new McpConnections([nodeServer('everything', everythingBin())], { logger: memoryLogger() });
  });
  after(async () => {
    await connections.dispose();
    await server.stop();
  });
  beforeEach(() => {
    server.requests.length = 0;
    posted = [];
    choices = new ToolChoices(memoryStore());
    const mcp = new McpToolSupport(connections, {
      approval: () => 'always',
      timeoutMs: () => 20_000,
      alwaysAllowed: () => new Set(),
      rememberAlwaysAllowed: () => {},
    });
    // As McpHost does it: the conversation's choice filters what is listed.
    const tools: ToolSupport = {
      list: async (signal, conversation) => choices.filter(await mcp.list(signal), conversation),
      needsApproval: (t) => mcp.needsApproval(t),
      alwaysAllow: (t) => mcp.alwaysAllow(t),
      run: (call, options) => mcp.run(call, options),
    };
    session = new ChatSession({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'tool-model', maxUpdatesPerSecond: 1000 }),
      providerFor: createProvider,
      post: (m) => posted.push(m),
      log: { info() {}, warn() {}, error() {} },
      tools,
    });
  });

  it('a tool turned off for the conversation is not in the request, and a call to it is not run', async () => {
    server.onChat = (body, i) => ({
      steps:
        i % 2 === 0
          ? answerLines(body.model, [], { toolCalls: [{ function: { name: 'echo', arguments: { message: 'x' } } }] })
          : answerLines(body.model, ['ok']),
    });
    session.send('first');
    await session.idle();
    const all = offered(0);
    assert.ok(all.includes('echo') && all.includes('get-sum'), `everything's tools offered: ${all}`);
    choices.set(session.id, 'everything', 'echo', false, 'conversation');
    session.send('second');
    await session.idle();
    const after = offered(2);
    assert.deepEqual(
      after,
      all.filter((n: string) => n !== 'echo'),
    );
    // The model asked for echo anyway (the script does): the card says there is no such tool; it did not run.
    const cards = posted.filter(
      (m): m is Extract<HostToWebview, { type: 'toolUpdate' }> => typeof m !== 'string' && m.type === 'toolUpdate',
    );
    const last = cards.at(-1)!.tool;
    assert.equal(last.state, 'error');
    assert.match(last.result!.text, /no tool named 'echo'/);
    // Another conversation keeps its own (the default: everything on).
    assert.equal(choices.filter([{ name: 'echo', server: 'everything', inputSchema: {} }], 'other').length, 1);
  });

  it('a server turned off for the workspace sends no tools at all; off everywhere wins over the workspace', async () => {
    server.onChat = (body) => ({ steps: answerLines(body.model, ['ok']) });
    choices.set(session.id, 'everything', undefined, false, 'workspace');
    session.send('q');
    await session.idle();
    assert.equal(server.chatRequests[0].body.tools, undefined, 'no tools field when none is on');
    const echo: ToolDescriptor = { name: 'echo', server: 'everything', inputSchema: {} };
    choices.set('c2', 'everything', undefined, true, 'workspace');
    choices.set('c2', 'everything', 'echo', false, 'user');
    choices.set('c2', 'everything', 'echo', true, 'workspace');
    choices.set('c2', 'everything', 'echo', true, 'conversation');
    assert.equal(choices.isOn(echo, 'c2'), false, 'neither the workspace nor the conversation turns on what is off everywhere');
    choices.set('c2', 'everything', 'echo', true, 'user');
    assert.equal(choices.isOn(echo, 'c2'), true);
  });

  it('the menu counts the tokens of the enabled definitions with the shared estimate', async () => {
    const tools = await new McpToolSupport(connections, {
      approval: () => 'always',
      timeoutMs: () => 1000,
      alwaysAllowed: () => new Set(),
      rememberAlwaysAllowed: () => {},
    }).list(new AbortController().signal);
    choices.set('c3', 'everything', 'echo', false, 'conversation');
    const menu = choices.menu('c3', tools, ['everything', 'stopped-server']);
    const cost = (t: ToolDescriptor) =>
      estimateTokens(JSON.stringify({ name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.inputSchema }));
    const total = tools.reduce((n, t) => n + cost(t), 0);
    const echo = tools.find((t) => t.name === 'echo')!;
    assert.equal(menu.allTokens, total);
    assert.equal(menu.enabledTokens, total - cost(echo));
    assert.deepEqual(
      menu.servers.map((s) => [s.name, s.tools.length]),
      [
        ['everything', tools.length],
        ['stopped-server', 0],
      ],
    );
    assert.equal(menu.servers[0].tools.find((t) => t.name === 'echo')!.on, false);
  });

  it("the page's menu messages are checked at the boundary", () => {
    const ok = (m: unknown) => parseWebviewMessage(m).ok;
    assert.equal(ok({ type: 'toolsMenu' }), true);
    assert.equal(ok({ type: 'setTool', server: 'everything', tool: 'echo', on: false, scope: 'workspace' }), true);
    assert.equal(ok({ type: 'setTool', server: 'everything', on: true, scope: 'user' }), true);
    assert.equal(ok({ type: 'setTool', server: 'everything', on: 'yes', scope: 'user' }), false);
    assert.equal(ok({ type: 'setTool', server: 'everything', on: true, scope: 'global' }), false);
    assert.equal(ok({ type: 'setTool', server: 'x'.repeat(201), on: true, scope: 'conversation' }), false);
    assert.equal(ok({ type: 'setTool', server: 'everything', tool: 7, on: true, scope: 'conversation' }), false);
  });
});
