/**
 * The typed events of ChatSession and ChatSessions: what the extension listens to instead of reading the
 * messages it posts to the view (turn ended, model label, conversation replaced, another shown, approval).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { HostToWebview } from '../../src/shared/protocol';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { ChatSessions } from '../../src/streaming/chat/chatSessions';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { answerLines, FakeOllama, paced } from '../fakes/ollamaServer';
import { waitFor } from '../fakes/mcpServers';

const silent = { info() {}, warn() {}, error() {} };
const toolCall = (name: string) => ({ function: { name, arguments: {} } });
const tools = (approve: boolean) => ({
  list: async () => [{ name: 'echo', inputSchema: { type: 'object' } }],
  needsApproval: () => approve,
  alwaysAllow: () => {},
  run: async () => ({ outcome: 'done' as const, content: 'echoed', durationMs: 1 }),
});

describe('session events', () => {
  const server = new FakeOllama();
  let config: SessionConfig;
  let posted: Array<Exclude<HostToWebview, string>>;
  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    server.models = [{ name: 'm:latest' }];
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Hello.']) });
    config = { endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'm', maxUpdatesPerSecond: 50 };
    posted = [];
  });
  const post = (m: HostToWebview) => typeof m !== 'string' && posted.push(m);
  const session = (extra: Partial<ConstructorParameters<typeof ChatSession>[0]> = {}) =>
    new ChatSession({ config: () => config, providerFor: createProvider, post, log: silent, ...extra });

  it('onDidEndTurn says how each turn ended, after busy:false went to the view', async () => {
    const s = session();
    const ends: string[] = [];
    s.onDidEndTurn((e) => ends.push(`${e.state} ${JSON.stringify(posted.at(-1))}`));
    s.send('Hi');
    await s.idle();
    server.onChat = (body) => ({ steps: paced(answerLines(body.model, ['a ', 'b ', 'c ', 'd ']), 100) });
    s.send('Again');
    await waitFor(() => s.snapshot().messages.at(-1)!.text.length > 0, 5000, 'the answer to start');
    s.stop();
    await s.idle();
    config = { ...config, endpoint: undefined };
    s.send('Nowhere');
    await s.idle();
    assert.deepEqual(
      ends,
      ['done', 'stopped', 'error'].map((state) => `${state} {"type":"busy","busy":false}`),
    );
  });

  it('onDidChangeModel fires with the label when the endpoint names its first model', async () => {
    config = { ...config, model: '' };
    const s = session();
    const labels: unknown[] = [];
    s.onDidChangeModel((label) => labels.push(label));
    await s.refreshModel();
    assert.deepEqual(labels, [{ endpoint: 'Local', model: 'm:latest', provider: 'ollama' }]);
  });

  it('onDidResetMessages fires when the conversation is replaced or cut back, not for each new message', async () => {
    const s = session();
    let resets = 0;
    s.onDidResetMessages(() => resets++);
    s.send('Hi');
    await s.idle();
    assert.equal(resets, 0);
    assert.ok(s.regenerate(s.snapshot().messages.at(-1)!.id));
    await s.idle();
    assert.equal(resets, 1);
    await s.clear();
    assert.equal(resets, 2);
    s.restore({ id: 'c1', createdAt: 1, updatedAt: 2, messages: [{ id: 'u', role: 'user', text: 'Old', state: 'done' }] });
    assert.equal(resets, 3);
  });

  it('onApprovalPending fires for a call that waits for Allow, not for one that fails at once or needs none', async () => {
    let round = 0;
    server.onChat = (body) =>
      round++ === 0
        ? { steps: answerLines(body.model, ['Checking.'], { toolCalls: [toolCall('echo'), toolCall('nope')] }) }
        : { steps: answerLines(body.model, ['Done.']) };
    const s = session({ tools: tools(true) });
    const pending: string[] = [];
    s.onApprovalPending((e) => {
      pending.push(e.tool);
      s.resolveApproval(e.id, 'allow');
    });
    s.send('Use it');
    await s.idle();
    assert.deepEqual(pending, ['echo'], 'the unknown tool "nope" is failed at once and waits for nobody');
    assert.equal(s.snapshot().messages.at(-1)!.text, 'Done.');

    round = 0;
    const auto = session({ tools: tools(false) });
    auto.onApprovalPending(() => assert.fail('no approval is asked when the tool needs none'));
    auto.send('Use it');
    await auto.idle();
  });

  it('a disposed session fires nothing more', async () => {
    server.onChat = (body) => ({ steps: paced(answerLines(body.model, ['a ', 'b ', 'c ']), 100) });
    const s = session();
    let ends = 0;
    s.onDidEndTurn(() => ends++);
    s.send('Hi');
    s.dispose();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ends, 0);
  });

  describe('ChatSessions', () => {
    let sessions: ChatSessions;
    beforeEach(() => {
      sessions = new ChatSessions({ config: () => config, providerFor: createProvider, post, log: silent, tools: tools(true) });
    });

    it('relays the shown conversation, says which is shown, and frees one that ends out of sight', async () => {
      const events: string[] = [];
      sessions.onDidChangeActive((s) => events.push(`active ${s === sessions.active}`));
      sessions.onDidChangeBackground(() => events.push(`background ${sessions.backgroundIds().length}`));
      sessions.onDidEndTurn((e) => events.push(`end ${e.state} shown=${e.shown}`));
      server.onChat = (body) => ({ steps: paced(answerLines(body.model, ['a ', 'b ', 'c ']), 60) });
      const first = sessions.active;
      first.send('First');
      await waitFor(() => first.snapshot().messages.at(-1)!.text.length > 0, 5000, 'the answer to start');
      sessions.newChat();
      await first.idle();
      const second = sessions.active;
      second.send('Second');
      await second.idle();
      assert.deepEqual(events, ['background 1', 'active true', 'end done shown=false', 'background 0', 'end done shown=true']);
      assert.deepEqual(sessions.backgroundIds(), []);
    });

    it('onApprovalPending says whether the waiting conversation is on screen', async () => {
      let round = 0;
      server.onChat = (body) =>
        round++ % 2 === 0
          ? { steps: paced(answerLines(body.model, ['Let me check.'], { toolCalls: [toolCall('echo')] }), 80) }
          : { steps: answerLines(body.model, ['Done.']) };
      const waiting: Array<{ title: string; shown: boolean }> = [];
      sessions.onApprovalPending((e) => waiting.push({ title: e.session.displayTitle, shown: e.shown }));
      const first = sessions.active;
      first.send('Shown');
      await waitFor(() => waiting.length === 1, 5000, 'the first approval');
      first.resolveApproval(first.snapshot().messages.find((m) => m.role === 'tool')!.id, 'allow');
      await first.idle();
      const second = sessions.newChat();
      second.send('Hidden');
      await new Promise((r) => setTimeout(r, 30));
      sessions.newChat();
      await waitFor(() => waiting.length === 2, 5000, 'the second approval');
      assert.deepEqual(waiting, [
        { title: 'Shown', shown: true },
        { title: 'Hidden', shown: false },
      ]);
      second.stop();
      await second.idle();
    });

    it('the model label of a conversation out of sight is not relayed', async () => {
      config = { ...config, model: '' };
      const labels: unknown[] = [];
      sessions.onDidChangeModel((label) => labels.push(label));
      const first = sessions.active;
      await first.refreshModel();
      server.onChat = (body) => ({ steps: paced(answerLines(body.model, ['a ', 'b ']), 60) });
      first.send('First');
      sessions.newChat();
      await first.refreshModel();
      await first.idle();
      assert.equal(labels.length, 1);
    });
  });
});
