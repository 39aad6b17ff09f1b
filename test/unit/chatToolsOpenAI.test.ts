/**
 * Tool turns through the OpenAI-compatible path (fragments accumulated by index, call ids, tool_call_id),
 * and the session's edge cases: one call cancelled while the others go on, malformed arguments, and a
 * model that never stops asking for tools. Real openai client, real MCP servers over stdio.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { HostToWebview, ToolCallInfo } from '../../src/shared/protocol';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { MAX_TOOL_ROUNDS } from '../../src/tools/toolSupport';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { McpToolSupport } from '../../src/tools/mcp/mcpToolSupport';
import { everythingBin, fakeServerScript, memoryLogger, nodeServer } from '../fakes/mcpServers';
import { answerLines, DONE, finishLine, roleLine, toolCallLine, FakeOpenAI } from '../fakes/openaiServer';

const silent = { info() {}, warn() {}, error() {} };
const MODEL = 'gpt-test';
/** A round in which the model asks for these calls, as fragments the way servers send them. */
const askFor = (...calls: Array<{ id: string; name: string; args: string }>) => [
  roleLine(MODEL),
  ...calls.flatMap((c, index) => [
    toolCallLine(MODEL, [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }]),
    // Arguments split mid-token, as streamed: only the whole string is JSON.
    toolCallLine(MODEL, [{ index, function: { arguments: c.args.slice(0, 5) } }]),
    toolCallLine(MODEL, [{ index, function: { arguments: c.args.slice(5) } }]),
  ]),
  finishLine(MODEL, 'tool_calls'),
  DONE,
];

describe('tool turns over the OpenAI-compatible path', { timeout: 60_000 }, () => {
  const server = new FakeOpenAI();
  let connections: McpConnections;
  let posted: HostToWebview[];
  let session: ChatSession;
  before(async () => {
    await server.start();
    connections = new McpConnections([nodeServer('everything', everythingBin()), nodeServer('fake', fakeServerScript)], {
      logger: memoryLogger(),
    });
  });
  after(async () => {
    await connections.dispose();
    await server.stop();
  });
  beforeEach(() => {
    server.reset();
    posted = [];
    session = new ChatSession({
      config: () => ({ endpoint: { name: 'Compat', type: 'openai', url: server.url }, model: MODEL, maxUpdatesPerSecond: 20 }),
      providerFor: (e) => createProvider(e, 'sk-test'),
      post: (m) => posted.push(typeof m === 'string' ? m : structuredClone(m)),
      log: silent,
      tools: new McpToolSupport(connections, {
        approval: () => 'always',
        timeoutMs: () => 20_000,
        alwaysAllowed: () => new Set(),
        rememberAlwaysAllowed: () => {},
      }),
    });
  });
  const cards = () => {
    const byId = new Map<string, ToolCallInfo[]>();
    for (const m of posted) {
      if (typeof m === 'string') continue;
      if (m.type === 'messageAdded' && m.message.tool) byId.set(m.message.id, [m.message.tool]);
      if (m.type === 'toolUpdate') byId.get(m.id)?.push(m.tool);
    }
    return byId;
  };
  const lastStates = () => new Map([...cards()].map(([, s]) => [s[0].name, s.at(-1)!.state]));

  it('accumulates fragments into whole calls and answers each by its tool_call_id', async () => {
    server.onChat = (body, i) => ({
      steps:
        i === 0
          ? askFor({ id: 'call_a', name: 'echo', args: '{"message":"hi"}' }, { id: 'call_b', name: 'get-sum', args: '{"a":1,"b":2}' })
          : answerLines(MODEL, ['Done.']),
    });
    session.send('Two tools');
    await session.idle();
    const messages = server.chatRequests[1].body.messages;
    assert.ok(server.chatRequests[0].body.tools.some((t: any) => t.type === 'function' && t.function.name === 'echo'));
    assert.deepEqual(messages.at(-3), {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'echo', arguments: '{"message":"hi"}' } },
        { id: 'call_b', type: 'function', function: { name: 'get-sum', arguments: '{"a":1,"b":2}' } },
      ],
    });
    assert.deepEqual(messages.at(-2), { role: 'tool', tool_call_id: 'call_a', content: 'Echo: hi' });
    assert.equal(messages.at(-1).tool_call_id, 'call_b');
    assert.match(messages.at(-1).content, /3/);
  });

  it('arguments that are not valid JSON become an error result, not a call', async () => {
    server.onChat = (body, i) => ({
      steps: i === 0 ? askFor({ id: 'call_x', name: 'echo', args: '{"message": "unterminated' }) : answerLines(MODEL, ['Sorry.']),
    });
    session.send('Bad arguments');
    await session.idle();
    const tool = server.chatRequests[1].body.messages.at(-1);
    assert.equal(tool.tool_call_id, 'call_x');
    assert.match(tool.content, /^Error: The arguments are not valid JSON/);
    assert.equal(lastStates().get('echo'), 'error');
  });

  it('cancelling one running call leaves the others and the turn going', async () => {
    server.onChat = (body, i) => ({
      steps:
        i === 0
          ? askFor({ id: 'c1', name: 'hang', args: '{}' }, { id: 'c2', name: 'echo', args: '{"message":"still here"}' })
          : answerLines(MODEL, ['Carried on.']),
    });
    session.send('Hang and echo');
    while (lastStates().get('hang') !== 'running' || lastStates().get('echo') !== 'done') await new Promise((r) => setTimeout(r, 10));
    const hangId = [...cards()].find(([, s]) => s[0].name === 'hang')![0];
    session.cancelTool(hangId);
    await session.idle();
    assert.equal(lastStates().get('hang'), 'cancelled');
    assert.equal(lastStates().get('echo'), 'done');
    const results = server.chatRequests[1].body.messages.filter((m: any) => m.role === 'tool');
    assert.match(results[0].content, /^Error \(cancelled\)/);
    assert.equal(results[1].content, 'Echo: still here');
    const snap = session.snapshot();
    assert.equal(snap.messages.at(-1)!.text, 'Carried on.');
  });

  it(`a model that keeps asking for tools is stopped after ${MAX_TOOL_ROUNDS} rounds with a clear message`, async () => {
    server.onChat = (_body, i) => ({ steps: askFor({ id: `r${i}`, name: 'echo', args: '{"message":"again"}' }) });
    session.send('Loop forever');
    await session.idle();
    assert.equal(server.chatRequests.length, MAX_TOOL_ROUNDS);
    const last = session.snapshot().messages.at(-1)!;
    assert.equal(last.state, 'error');
    assert.match(last.error!.message, new RegExp(`asked for tools ${MAX_TOOL_ROUNDS} rounds in a row`));
  });
});
