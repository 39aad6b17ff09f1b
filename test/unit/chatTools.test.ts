/**
 * A chat turn with tools, end to end in the host: the real ChatSession, the real ollama client against
 * the scripted Ollama server, and the published MCP server-everything over stdio.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeDelta, type HostToWebview, type ToolCallInfo } from '../../src/shared/protocol';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { McpToolSupport } from '../../src/tools/mcp/mcpToolSupport';
import { everythingBin, memoryLogger, nodeServer } from '../fakes/mcpServers';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';

const silent = { info() {}, warn() {}, error() {} };
type Posted = Exclude<HostToWebview, string>;
/** Compact streaming updates (`<seq>:<text>`) as delta objects, so assertions read the same for both. */
const asObject = (m: HostToWebview): Posted =>
  typeof m === 'string' ? { type: 'delta', id: '(streaming)', ...decodeDelta(m)! } : structuredClone(m);
const call = (name: string, args: Record<string, unknown>) => ({ function: { name, arguments: args } });

describe('chat turns with MCP tools', { timeout: 60_000 }, () => {
  const server = new FakeOllama();
  let connections: McpConnections;
  let approval = 'always';
  const allowed = new Set<string>();
  let posted: Posted[];
  let session: ChatSession;

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
    approval = 'always';
    allowed.clear();
    posted = [];
    const tools = new McpToolSupport(connections, {
      approval: () => approval,
      timeoutMs: () => 20_000,
      alwaysAllowed: () => allowed,
      rememberAlwaysAllowed: (k) => allowed.add(k),
    });
    session = new ChatSession({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'tool-model', maxUpdatesPerSecond: 20 }),
      providerFor: createProvider,
      post: (m) => posted.push(asObject(m)),
      log: silent,
      tools,
    });
  });

  /** The tool cards' states and results as the webview would see them, by card id. */
  const cards = () => {
    const byId = new Map<string, ToolCallInfo[]>();
    for (const m of posted) {
      if (m.type === 'messageAdded' && m.message.tool) byId.set(m.message.id, [m.message.tool]);
      if (m.type === 'toolUpdate') byId.get(m.id)?.push(m.tool);
    }
    return byId;
  };
  const finalText = () => {
    const snap = session.snapshot();
    return snap.type === 'snapshot'
      ? snap.messages
          .filter((m) => m.role === 'assistant')
          .map((m) => m.text)
          .join('|')
      : '';
  };

  it('runs the call, sends its result back to the model, and shows the answer that follows', async () => {
    server.onChat = (body, i) => ({
      steps:
        i === 0
          ? answerLines(body.model, [], { toolCalls: [call('echo', { message: 'hi' })] })
          : answerLines(body.model, ['The echo said hi.']),
    });
    session.send('Echo hi');
    await session.idle();
    const [first, second] = server.chatRequests.map((r) => r.body);
    assert.ok(
      first.tools.some((t: any) => t.type === 'function' && t.function.name === 'echo' && t.function.parameters.type === 'object'),
      "tools offered in Ollama's format",
    );
    assert.deepEqual(second.messages.slice(-2), [
      { role: 'assistant', content: '', tool_calls: [call('echo', { message: 'hi' })] },
      { role: 'tool', content: 'Echo: hi', tool_name: 'echo' },
    ]);
    const [states] = [...cards().values()];
    assert.deepEqual(
      states.map((s) => s.state),
      ['running', 'done'],
      'no approval asked under "always"',
    );
    assert.equal(states.at(-1)!.result!.text, 'Echo: hi');
    assert.equal(finalText(), '|The echo said hi.');
  });

  it('runs three calls of one round concurrently, with progress, and sends all results in the next request', async () => {
    const op = call('trigger-long-running-operation', { duration: 0.4, steps: 4 });
    server.onChat = (body, i) => ({
      steps: i === 0 ? answerLines(body.model, [], { toolCalls: [op, op, op] }) : answerLines(body.model, ['All three finished.']),
    });
    session.send('Run three');
    await session.idle();
    const [r0, r1] = server.chatRequests;
    const roundMs = r1.at - r0.at;
    assert.ok(roundMs < 1200, `three 400 ms calls took ${roundMs.toFixed(0)} ms in all, not 1,200 ms`);
    assert.equal(r1.body.messages.filter((m: any) => m.role === 'tool').length, 3);
    for (const states of cards().values()) {
      // Three cards at 10 notifications a second each share the 20-a-second cap: some values are skipped
      // (the newest goes), the rest arrive in order.
      const progress = states.filter((s) => s.progress).map((s) => s.progress!.progress);
      assert.ok(
        progress.length >= 1 && progress.every((p, i) => [1, 2, 3, 4].includes(p) && (i === 0 || p > progress[i - 1])),
        `progress shown live and in order: ${progress}`,
      );
      assert.equal(states.at(-1)!.state, 'done');
    }
    assert.equal(finalText(), '|All three finished.');
  });

  it('asks first under "ask": Deny goes back to the model as an error, Always allow is remembered', async () => {
    approval = 'ask';
    server.onChat = (body, i) => ({
      steps:
        i === 0
          ? answerLines(body.model, [], { toolCalls: [call('echo', { message: 'a' }), call('get-sum', { a: 2, b: 3 })] })
          : answerLines(body.model, ['ok']),
    });
    session.send('Two tools');
    const pending = async (n: number) => {
      while ([...cards().values()].filter((s) => s.at(-1)!.state === 'pending').length < n) await new Promise((r) => setTimeout(r, 10));
    };
    await pending(2);
    const [echoId, sumId] = [...cards().keys()];
    session.resolveApproval(echoId, 'deny');
    session.resolveApproval(sumId, 'always');
    await session.idle();
    const tools = server.chatRequests[1].body.messages.filter((m: any) => m.role === 'tool');
    assert.match(tools[0].content, /^Error: The user denied this tool call/);
    assert.match(tools[1].content, /5/);
    assert.equal(cards().get(echoId)!.at(-1)!.state, 'cancelled');
    assert.deepEqual([...allowed], ['everything/get-sum']);
  });

  it('Stop during a long call cancels it and ends the turn', async () => {
    server.onChat = (body) => ({
      steps: answerLines(body.model, [], { toolCalls: [call('trigger-long-running-operation', { duration: 10, steps: 10 })] }),
    });
    session.send('Long one');
    while (![...cards().values()].some((s) => s.some((x) => x.progress))) await new Promise((r) => setTimeout(r, 10));
    const stoppedAt = performance.now();
    session.stop();
    await session.idle();
    const took = performance.now() - stoppedAt;
    assert.ok(took < 1000, `the turn ended ${took.toFixed(0)} ms after Stop`);
    assert.equal([...cards().values()][0].at(-1)!.state, 'cancelled');
    assert.equal(server.chatRequests.length, 1, 'no further request after Stop');
    assert.equal(session.busy, false);
  });

  it('an unknown tool becomes an error result for the model, and the chat goes on', async () => {
    server.onChat = (body, i) => ({
      steps: i === 0 ? answerLines(body.model, [], { toolCalls: [call('no_such_tool', {})] }) : answerLines(body.model, ['Sorry.']),
    });
    session.send('Use a tool that does not exist');
    await session.idle();
    const tool = server.chatRequests[1].body.messages.find((m: any) => m.role === 'tool');
    assert.match(tool.content, /^Error: There is no tool named 'no_such_tool'/);
    assert.equal([...cards().values()][0].at(-1)!.state, 'error');
    assert.equal(finalText(), '|Sorry.');
  });

  it('offers no tools to a model whose capabilities do not list them', async () => {
    server.capabilities.set('plain-model', ['completion']);
    const plain = new ChatSession({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'plain-model', maxUpdatesPerSecond: 20 }),
      providerFor: createProvider,
      post: () => {},
      log: silent,
      tools: new McpToolSupport(connections, {
        approval: () => 'always',
        timeoutMs: () => 20_000,
        alwaysAllowed: () => allowed,
        rememberAlwaysAllowed: () => {},
      }),
    });
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Plain answer.']) });
    plain.send('Hi');
    await plain.idle();
    assert.equal(server.chatRequests[0].body.tools, undefined);
    assert.deepEqual(
      server.requests.filter((r) => r.path === '/api/show').map((r) => r.body.model),
      ['plain-model'],
    );
  });
});
