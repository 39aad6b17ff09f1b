/**
 * The built-in workspace tools inside a real turn (ChatSession, the ollama client, the scripted server):
 * a call knows the answer it belongs to, so propose_edit's accepted change joins that answer's Undo; and
 * the tools menu's choices turn workspace tools off like MCP ones, while the setting still wins.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { ToolChoices, withChoices, type ToolChoiceStore } from '../../src/tools/toolChoices';
import { ToolSources } from '../../src/tools/toolSources';
import type { ToolTurn } from '../../src/tools/toolSupport';
import { WORKSPACE_TOOLS } from '../../src/tools/workspace/workspaceToolDefs';
import { WORKSPACE_SOURCE, WorkspaceToolSupport, type WorkspaceToolHandler } from '../../src/tools/workspace/workspaceToolSupport';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';

const silent = { info() {}, warn() {}, error() {} };
const call = (name: string, args: Record<string, unknown>) => ({ function: { name, arguments: args } });

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

describe('workspace tools in a turn', { timeout: 30_000 }, () => {
  const server = new FakeOllama();
  let choices: ToolChoices;
  let enabled: Record<string, boolean>;
  let session: ChatSession;
  /** Each handler call: the tool and the answer it was told it belongs to. */
  let ran: Array<{ name: string; turn?: ToolTurn }>;
  const offered = (i: number) => (server.chatRequests[i].body.tools ?? []).map((t: any) => t.function.name).sort();

  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    ran = [];
    enabled = {};
    choices = new ToolChoices(memoryStore());
    const handler =
      (name: string): WorkspaceToolHandler =>
      async (_args, { turn }) => {
        ran.push({ name, turn });
        return { text: `${name} done` };
      };
    const workspace = new WorkspaceToolSupport({
      handlers: Object.fromEntries(WORKSPACE_TOOLS.map((t) => [t.name, handler(t.name)])) as never,
      approval: () => 'always',
      trusted: () => true,
      enabledValues: () => [enabled],
      alwaysAllowed: () => new Set(),
      rememberAlwaysAllowed() {},
    });
    session = new ChatSession({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'tool-model', maxUpdatesPerSecond: 20 }),
      providerFor: createProvider,
      post() {},
      log: silent,
      tools: new ToolSources([withChoices(workspace, choices)]),
    });
  });

  it("tells every call of the turn, in every round, the conversation and the turn's first answer", async () => {
    server.onChat = (body, i) => ({
      steps:
        i === 0
          ? answerLines(body.model, [], { toolCalls: [call('propose_edit', { path: 'a.ts', content: 'a' })] })
          : i === 1
            ? answerLines(body.model, ['Next file.'], { toolCalls: [call('propose_edit', { path: 'b.ts', content: 'b' })] })
            : answerLines(body.model, ['Both proposed.']),
    });
    session.send('Change a and b');
    await session.idle();
    const snap = session.snapshot();
    assert.equal(snap.type, 'snapshot');
    const answers = snap.type === 'snapshot' ? snap.messages.filter((m) => m.role === 'assistant') : [];
    assert.equal(answers.length, 3, 'one answer per round');
    assert.deepEqual(
      ran,
      ['propose_edit', 'propose_edit'].map((name) => ({ name, turn: { conversationId: session.id, messageId: answers[0].id } })),
    );
  });

  it('a workspace tool turned off in the tools menu is not in the request, and a call to it does not run', async () => {
    server.onChat = (body, i) => ({
      steps:
        i === 0 ? answerLines(body.model, [], { toolCalls: [call('run_command', { command: 'ls' })] }) : answerLines(body.model, ['ok']),
    });
    choices.set(session.id, WORKSPACE_SOURCE, 'run_command', false, 'conversation');
    session.send('List the files');
    await session.idle();
    assert.ok(offered(0).includes('read_file'));
    assert.ok(!offered(0).includes('run_command'));
    assert.deepEqual(ran, [], 'the call to a tool that is off is answered as unknown');
    assert.match(server.chatRequests[1].body.messages.at(-1).content, /no tool named 'run_command'/);

    // The whole "workspace" server off everywhere: no workspace tool is offered.
    choices.set(session.id, WORKSPACE_SOURCE, undefined, false, 'user');
    server.onChat = (body) => ({ steps: answerLines(body.model, ['ok']) });
    session.send('Again');
    await session.idle();
    assert.deepEqual(offered(2), []);
  });

  it('the setting still wins: a tool it turns off stays off, whatever the conversation chose', async () => {
    server.onChat = (body) => ({ steps: answerLines(body.model, ['ok']) });
    enabled = { search_text: false };
    choices.set(session.id, WORKSPACE_SOURCE, 'search_text', true, 'conversation');
    session.send('Search');
    await session.idle();
    assert.ok(offered(0).includes('read_file'));
    assert.ok(!offered(0).includes('search_text'));
  });
});
