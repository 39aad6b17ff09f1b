import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeDelta, type HostToWebview, type MessageSnapshot } from '../../src/shared/protocol';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import { ChatSessions } from '../../src/streaming/chat/chatSessions';
import { userContent, type ContextAttachment } from '../../src/streaming/chat/contextPrompt';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { answerLines, FakeOllama, paced } from '../fakes/ollamaServer';
import { waitFor } from '../fakes/mcpServers';

const silent = { info() {}, warn() {}, error() {} };
type Posted = Exclude<HostToWebview, string>;

/**
 * What the view would show, rebuilt only from what was posted to it: snapshots replace, messageAdded
 * appends, deltas (compact or not) append to the streaming answer and must follow its sequence.
 */
class ViewMirror {
  messages: MessageSnapshot[] = [];
  streaming: string | undefined;
  gaps: string[] = [];
  apply(m: HostToWebview): void {
    if (typeof m === 'string') {
      const d = decodeDelta(m)!;
      return this.delta(this.streaming, d.seq, d.text);
    }
    if (m.type === 'snapshot') {
      this.messages = structuredClone(m.messages);
      this.streaming = this.messages.find((x) => x.role === 'assistant' && x.state === 'streaming')?.id;
    } else if (m.type === 'messageAdded') {
      this.messages.push(structuredClone(m.message));
      if (m.message.role === 'assistant' && m.message.state === 'streaming') this.streaming = m.message.id;
    } else if (m.type === 'delta') {
      this.delta(m.id, m.seq, m.text);
      const msg = this.messages.find((x) => x.id === m.id);
      if (msg && m.end) msg.state = m.end.state;
      if (m.end && this.streaming === m.id) this.streaming = undefined;
    }
  }
  private delta(id: string | undefined, seq: number, text: string): void {
    const msg = this.messages.find((x) => x.id === id);
    if (!msg || seq !== msg.seq + 1) {
      this.gaps.push(`${id} ${seq} after ${msg?.seq}`);
      return;
    }
    msg.seq = seq;
    msg.text += text;
  }
  texts(): string[] {
    return this.messages.map((m) => `${m.role}: ${m.text}`);
  }
}

describe('Conversations side by side (ChatSessions)', () => {
  const server = new FakeOllama();
  let view: ViewMirror;
  let config: SessionConfig;
  let sessions: ChatSessions;
  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.models = [{ name: 'm:latest' }];
    view = new ViewMirror();
    config = { endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'm', maxUpdatesPerSecond: 50 };
    sessions = new ChatSessions({ config: () => config, providerFor: createProvider, post: (m) => view.apply(m), log: silent });
  });

  it('a second conversation streams while the first goes on out of sight; each keeps its own answer', async () => {
    const words = (p: string) => Array.from({ length: 15 }, (_, i) => `${p}${i} `);
    server.onChat = (body) => {
      const question = body.messages.at(-1).content as string;
      return { steps: paced(answerLines(body.model, words(question.startsWith('A') ? 'a' : 'b')), 20) };
    };
    const first = sessions.active;
    first.send('A question');
    // The first answer is under way (its first words shown) before the second conversation starts.
    await waitFor(() => view.texts().some((t) => t.startsWith('assistant: a0')), 5000, 'the first answer to start');
    assert.equal(first.busy, true);
    const second = sessions.newChat();
    assert.notEqual(second, first);
    assert.deepEqual(sessions.backgroundIds(), [first.id]);
    second.send('B question');
    assert.equal(first.busy && second.busy, true, 'both answer at once');
    await Promise.all([first.idle(), second.idle()]);
    // The view showed only the second conversation, whole and in order.
    assert.deepEqual(view.texts(), ['user: B question', `assistant: ${words('b').join('')}`]);
    assert.deepEqual(view.gaps, []);
    // The first one finished out of sight with its own text, and was let go.
    assert.equal(first.conversation().messages[1].text, words('a').join(''));
    assert.deepEqual(sessions.backgroundIds(), []);
    const requests = server.chatRequests.map((r) => (r.body as any).messages.map((m: any) => m.content));
    assert.deepEqual(requests, [['A question'], ['B question']]);
  });

  it('opening a conversation that is still answering shows its text so far, and its deltas continue from there', async () => {
    server.onChat = (body) => ({
      steps: paced(
        answerLines(
          body.model,
          Array.from({ length: 20 }, (_, i) => `w${i} `),
        ),
        15,
      ),
    });
    const first = sessions.active;
    first.send('Long one');
    const answered = () => first.conversation().messages[1]?.text.length ?? 0;
    await waitFor(() => answered() > 0);
    sessions.newChat();
    // Deltas arrive while it is out of sight, so opening it must show more than was seen before.
    const seen = answered();
    await waitFor(() => answered() > seen);
    assert.equal(await sessions.open(first.id, async () => assert.fail('a live conversation is not loaded from the store')), true);
    assert.equal(sessions.active, first);
    await first.idle();
    assert.deepEqual(view.gaps, []);
    assert.deepEqual(view.texts(), ['user: Long one', `assistant: ${Array.from({ length: 20 }, (_, i) => `w${i} `).join('')}`]);
  });

  it('a conversation out of sight that waits for a tool approval says so, and waits for the user', async () => {
    const waiting: string[] = [];
    const tools = {
      list: async () => [{ name: 'echo', inputSchema: { type: 'object' } }],
      needsApproval: () => true,
      alwaysAllow: () => {},
      run: async () => ({ outcome: 'done' as const, content: 'echoed', durationMs: 1 }),
    };
    sessions = new ChatSessions({
      config: () => config,
      providerFor: createProvider,
      post: (m) => view.apply(m),
      log: silent,
      tools,
    });
    sessions.onApprovalPending((e) => !e.shown && waiting.push(e.session.displayTitle));
    let n = 0;
    server.onChat = (body) =>
      n++ === 0
        ? { steps: paced(answerLines(body.model, ['Let me check.'], { toolCalls: [{ function: { name: 'echo', arguments: {} } }] }), 100) }
        : { steps: answerLines(body.model, ['Done.']) };
    const first = sessions.active;
    first.send('Use the tool');
    await waitFor(() => first.conversation().messages.length > 1);
    sessions.newChat();
    await waitFor(() => waiting.length > 0);
    assert.deepEqual(waiting, ['Use the tool']);
    assert.equal(first.busy, true, 'it waits for the user, not for ever unseen: the notice offers to open it');
    await sessions.open(first.id, async () => undefined);
    const card = first.snapshot().messages.find((m) => m.role === 'tool')!;
    first.resolveApproval(card.id, 'allow');
    await first.idle();
    assert.equal(first.snapshot().messages.at(-1)!.text, 'Done.');
  });

  it('opening a stored conversation restores it; New chat on an empty one changes nothing', async () => {
    const empty = sessions.active;
    assert.equal(sessions.newChat(), empty);
    const stored = {
      id: 'c1',
      createdAt: 1,
      updatedAt: 2,
      messages: [
        { id: 'u', role: 'user' as const, text: 'Old question', state: 'done' as const },
        { id: 'a', role: 'assistant' as const, text: 'Old answer', state: 'done' as const },
      ],
    };
    assert.equal(await sessions.open('c1', async (id) => (id === 'c1' ? stored : undefined)), true);
    assert.equal(sessions.active.id, 'c1');
    assert.deepEqual(view.texts(), ['user: Old question', 'assistant: Old answer']);
    assert.equal(await sessions.open('missing', async () => undefined), false);
    assert.equal(sessions.active.id, 'c1');
  });
});

describe('Editing, regenerating, thinking and context in one conversation', () => {
  const server = new FakeOllama();
  let posted: Posted[];
  let config: SessionConfig;
  let session: ChatSession;
  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.models = [{ name: 'm:latest' }];
    let n = 0;
    server.onChat = (body) => ({ steps: answerLines(body.model, [`Answer ${++n}`]) });
    posted = [];
    config = { endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'm', maxUpdatesPerSecond: 50 };
    session = new ChatSession({
      config: () => config,
      providerFor: createProvider,
      post: (m) => typeof m !== 'string' && posted.push(structuredClone(m)),
      log: silent,
    });
  });
  const sentMessages = (i: number) => (server.chatRequests[i].body as any).messages.map((m: any) => `${m.role}: ${m.content}`);

  it('edit and resend replaces the question and what followed, keeping the earlier branch as its own conversation', async () => {
    session.send('First');
    await session.idle();
    session.send('Second');
    await session.idle();
    const secondId = session.snapshot().messages[2].id;
    const edited = session.editAndResend(secondId, 'Second, rephrased');
    assert.ok(edited);
    await session.idle();
    assert.deepEqual(sentMessages(2), ['user: First', 'assistant: Answer 1', 'user: Second, rephrased']);
    assert.deepEqual(
      session.snapshot().messages.map((m) => m.text),
      ['First', 'Answer 1', 'Second, rephrased', 'Answer 3'],
    );
    // Nothing of the old branch is lost: it is a separate conversation with a new id.
    assert.notEqual(edited.earlier.id, session.id);
    assert.deepEqual(
      edited.earlier.messages.map((m) => m.text),
      ['First', 'Answer 1', 'Second', 'Answer 2'],
    );
    assert.equal(edited.earlier.title, 'First (before edit)');
    // Not while a turn runs, and only a question can be edited.
    assert.equal(session.editAndResend(session.snapshot().messages[1].id, 'x'), undefined);
  });

  it('regenerate asks again with the same prompt and replaces only the last answer', async () => {
    session.send('Q');
    await session.idle();
    const answerId = session.snapshot().messages[1].id;
    assert.equal(session.regenerate('not-the-last'), false);
    assert.equal(session.regenerate(answerId), true);
    await session.idle();
    assert.deepEqual(sentMessages(1), sentMessages(0));
    assert.deepEqual(
      session.snapshot().messages.map((m) => m.text),
      ['Q', 'Answer 2'],
    );
  });

  it('regenerate works after a turn stopped during its tool calls (tool cards after the answer)', async () => {
    session.send('Q');
    await session.idle();
    const conversation = session.conversation();
    conversation.messages.push({
      id: 't1',
      role: 'tool',
      text: '',
      state: 'done',
      tool: { name: 'echo', arguments: '{}', state: 'cancelled' },
    });
    session.restore(conversation);
    const answerId = conversation.messages[1].id;
    assert.equal(session.regenerate('t1'), false, 'a tool card is not an answer');
    assert.equal(session.regenerate(answerId), true);
    await session.idle();
    assert.deepEqual(
      session.snapshot().messages.map((m) => `${m.role}: ${m.text}`),
      ['user: Q', 'assistant: Answer 2'],
    );
  });

  it('streams the reasoning as thinking updates, keeps it with the answer, and does not send it back', async () => {
    server.onChat = (body) => ({ steps: answerLines(body.model, ['42'], { thinking: ['Let me ', 'think.'] }) });
    session.send('Q');
    await session.idle();
    const thinking = posted.filter((m): m is Extract<Posted, { type: 'thinking' }> => m.type === 'thinking');
    assert.equal(thinking.map((m) => m.text).join(''), 'Let me think.');
    const answer = session.snapshot().messages[1];
    assert.equal(answer.thinking, 'Let me think.');
    assert.equal(answer.text, '42');
    assert.equal(session.conversation().messages[1].thinking, 'Let me think.');
    session.send('Next');
    await session.idle();
    assert.deepEqual(sentMessages(1), ['user: Q', 'assistant: 42', 'user: Next']);
    // A restored conversation shows the reasoning again.
    const copy = new ChatSession({ config: () => config, providerFor: createProvider, post: () => {}, log: silent });
    copy.restore(session.conversation());
    assert.equal(copy.snapshot().messages[1].thinking, 'Let me think.');
  });

  it('a question carries exactly the attached context, in this turn and every later one, and it is stored', async () => {
    const attachments: ContextAttachment[] = [
      { kind: 'file', label: 'a.ts', text: 'File: a.ts\n```ts\nconst a = 1;\n```', tokens: 9, detail: 'src/a.ts' },
      { kind: 'problems', label: 'Problems (1)', text: 'Problems:\n- a.ts:1 error: bad', tokens: 8 },
    ];
    session.send('Why?', attachments);
    await session.idle();
    assert.deepEqual((server.chatRequests[0].body as any).messages, [{ role: 'user', content: userContent('Why?', attachments) }]);
    assert.equal(userContent('Why?', attachments), `${attachments[0].text}\n\n${attachments[1].text}\n\nWhy?`);
    assert.deepEqual(session.snapshot().messages[0].context, [
      { kind: 'file', label: 'a.ts', tokens: 9 },
      { kind: 'problems', label: 'Problems (1)', tokens: 8 },
    ]);
    assert.equal(session.snapshot().messages[0].text, 'Why?', 'the view shows the question, with the context as chips');
    session.send('And?');
    await session.idle();
    assert.deepEqual(
      (server.chatRequests[1].body as any).messages.map((m: any) => m.content),
      [userContent('Why?', attachments), 'Answer 1', 'And?'],
    );
    const restored = new ChatSession({ config: () => config, providerFor: createProvider, post: () => {}, log: silent });
    restored.restore(JSON.parse(JSON.stringify(session.conversation())));
    restored.send('Again?');
    await restored.idle();
    assert.deepEqual((server.chatRequests[2].body as any).messages[0].content, userContent('Why?', attachments));
  });
});
