import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeDelta, type HostToWebview } from '../../src/shared/protocol';
import { ChatSession, LOADING } from '../../src/streaming/chat/chatSession';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { answerLines, FakeOllama, paced } from '../fakes/ollamaServer';

const silent = { info() {}, warn() {}, error() {} };
type Posted = Exclude<HostToWebview, string>;
/** Compact streaming updates (`<seq>:<text>`) as delta objects, so assertions read the same for both. */
const asObject = (m: HostToWebview): Posted =>
  typeof m === 'string' ? { type: 'delta', id: '(streaming)', ...decodeDelta(m)! } : structuredClone(m);

describe('ChatSession against the fake Ollama server', () => {
  const server = new FakeOllama();
  let posted: Posted[];
  let config: SessionConfig;
  let session: ChatSession;
  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.closed.length = 0;
    server.models = [{ name: 'first:latest' }, { name: 'second:latest' }];
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Hello', ', ', 'world', '!']) });
    posted = [];
    config = { endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: '', maxUpdatesPerSecond: 20 };
    session = new ChatSession({ config: () => config, providerFor: createProvider, post: (m) => posted.push(asObject(m)), log: silent });
  });

  const deltas = () => posted.filter((m): m is Extract<HostToWebview, { type: 'delta' }> => m.type === 'delta');

  it('streams an answer as deltas that add up to the text, using the first listed model', async () => {
    assert.equal(session.send('Hi'), true);
    await session.idle();
    assert.equal(
      deltas()
        .map((d) => d.text)
        .join(''),
      'Hello, world!',
    );
    const end = deltas().at(-1)!.end!;
    assert.equal(end.state, 'done');
    // The fake server reports 26 prompt tokens, 4 generated in an eval of 0.5 s.
    assert.deepEqual(
      { ...end.metrics, firstTokenMs: undefined },
      { firstTokenMs: undefined, promptTokens: 26, completionTokens: 4, tokensPerSecond: 8 },
    );
    assert.ok(end.metrics!.firstTokenMs! >= 0 && end.metrics!.firstTokenMs! < 5000);
    assert.equal(server.chatRequests[0].body.model, 'first:latest');
    const added = posted.filter((m) => m.type === 'messageAdded');
    assert.deepEqual(
      added.map((m) => m.type === 'messageAdded' && m.message.role),
      ['user', 'assistant'],
    );
    assert.deepEqual(
      posted.filter((m) => m.type === 'busy'),
      [
        { type: 'busy', busy: true },
        { type: 'busy', busy: false },
      ],
    );
  });

  it('shows how full the context is, and warns before a prompt that likely does not fit', async () => {
    config.contextTokens = 100;
    session.send('Hi');
    await session.idle();
    assert.equal(deltas().at(-1)!.end!.metrics!.contextUsed, 0.3, '26 prompt + 4 answer tokens of 100');
    assert.equal(posted.filter((m) => m.type === 'warning').length, 0);
    session.send('x'.repeat(400));
    await session.idle();
    const warning = posted.find((m) => m.type === 'warning');
    assert.ok(warning && warning.type === 'warning');
    assert.match(warning.warning, /about 1\d\d tokens, close to or over the model's context of 100/);
    assert.match(session.snapshot().messages.at(-1)!.warning!, /modelChat\.ollama\.numCtx/);
  });

  it('says the model is loading while the server holds back the first token, and clears it with the text', async () => {
    config.model = 'm';
    server.onChat = (body) => ({ holdHeadersMs: 1800, steps: answerLines(body.model, ['Warm now.']) });
    session.send('Hi');
    await session.idle();
    const statuses = posted.filter((m) => m.type === 'status').map((m) => m.type === 'status' && m.status);
    assert.deepEqual(statuses, [LOADING]);
    assert.equal(
      deltas()
        .map((d) => d.text)
        .join(''),
      'Warm now.',
    );
    assert.equal(session.snapshot().messages.at(-1)!.status, undefined);
  });

  it('sends exactly the standing instructions as the system message, before the conversation', async () => {
    session = new ChatSession({
      config: () => config,
      providerFor: createProvider,
      post: (m) => posted.push(asObject(m)),
      log: silent,
      instructions: async () => [
        { source: 'modelChat.systemPrompt', text: '  Be brief.\n' },
        { source: 'AGENTS.md', text: 'Use tabs.' },
      ],
    });
    session.send('Hi');
    await session.idle();
    session.send('Again');
    await session.idle();
    const system = { role: 'system', content: 'Be brief.\n\nInstructions from AGENTS.md:\n\nUse tabs.' };
    assert.deepEqual(server.chatRequests[0].body.messages, [system, { role: 'user', content: 'Hi' }]);
    assert.deepEqual(server.chatRequests[1].body.messages[0], system);
    assert.equal(server.chatRequests[1].body.messages.filter((m: { role: string }) => m.role === 'system').length, 1);
  });

  it('carries the conversation into follow-up questions and uses the configured model', async () => {
    config.model = 'second:latest';
    session.send('Hi');
    await session.idle();
    session.send('And again?');
    await session.idle();
    const body = server.chatRequests[1].body;
    assert.equal(body.model, 'second:latest');
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello, world!' },
      { role: 'user', content: 'And again?' },
    ]);
  });

  it('refuses a second send while a turn runs, changing nothing', async () => {
    server.onChat = (body) => ({ steps: paced(answerLines(body.model, ['a', 'b', 'c']), 30) });
    session.send('first');
    assert.equal(session.send('second'), false);
    await session.idle();
    assert.equal(server.chatRequests.length, 1);
  });

  it('Stop keeps the partial answer, marks it stopped and closes the server connection', async () => {
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Partial ', 'answer']).slice(0, 2), hang: true });
    session.send('Hi');
    await server.until(() => server.chatRequests.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    session.stop();
    await session.idle();
    await server.until(() => server.closed.length === 1, 2000);
    const snap = session.snapshot();
    assert.ok(snap.type === 'snapshot');
    assert.equal(snap.busy, false);
    assert.deepEqual(
      snap.messages.map((m) => [m.role, m.text, m.state]),
      [
        ['user', 'Hi', 'done'],
        ['assistant', 'Partial answer', 'stopped'],
      ],
    );
  });

  it('Stop during a cold model load ends the turn as stopped and closes the connection', async () => {
    server.onChat = () => ({ holdHeadersMs: 30_000 });
    session.send('Hi');
    await server.until(() => server.chatRequests.length === 1);
    session.stop();
    await session.idle();
    await server.until(() => server.closed.length === 1, 2000);
    assert.equal(server.closed[0].headersSent, false);
    assert.equal(deltas().at(-1)!.end!.state, 'stopped');
    assert.equal(deltas().at(-1)!.end!.metrics, undefined, 'no first token, no counts: nothing to show');
  });

  it('a snapshot taken mid-stream plus the deltas after it equal the whole answer', async () => {
    const tokens = Array.from({ length: 60 }, (_, i) => `w${i} `);
    server.onChat = (body) => ({ steps: paced(answerLines(body.model, tokens), 3) });
    session.send('Hi');
    await new Promise((r) => setTimeout(r, 90));
    const snap = session.snapshot();
    const mark = posted.length;
    await session.idle();
    assert.ok(snap.type === 'snapshot');
    const answer = snap.messages[1];
    const later = posted.slice(mark).filter((m): m is Extract<HostToWebview, { type: 'delta' }> => m.type === 'delta');
    assert.equal(later[0].seq, answer.seq + 1, 'the next delta follows the snapshot');
    assert.equal(answer.text + later.map((d) => d.text).join(''), tokens.join(''));
  });

  it('gives actionable errors: model not installed, no models, server down', async () => {
    config.model = 'missing:7b';
    server.onChat = (body) => ({ status: 404, error: `model '${body.model}' not found` });
    session.send('Hi');
    await session.idle();
    let end = deltas().at(-1)!.end!;
    assert.equal(end.state, 'error');
    assert.match(end.error!.message, /ollama pull missing:7b/);
    assert.deepEqual(
      end.error!.actions.map((a) => a.kind),
      ['pullModel', 'selectModel', 'showLog'],
    );

    config.model = '';
    server.models = [];
    session = new ChatSession({ config: () => config, providerFor: createProvider, post: (m) => posted.push(asObject(m)), log: silent });
    session.send('Hi');
    await session.idle();
    end = deltas().at(-1)!.end!;
    assert.match(end.error!.message, /No models are installed/);

    await server.stop();
    try {
      session.send('Hi');
      await session.idle();
      end = deltas().at(-1)!.end!;
      assert.match(end.error!.message, /Ollama is not running at http:\/\/127\.0\.0\.1:\d+/);
      assert.equal(end.error!.actions[0].kind, 'retry');
    } finally {
      await server.start();
    }
  });

  it('Retry replaces a failed answer with a new one', async () => {
    let calls = 0;
    server.onChat = (body) => (calls++ === 0 ? { status: 500, error: 'boom' } : { steps: answerLines(body.model, ['ok']) });
    session.send('Hi');
    await session.idle();
    const snap1 = session.snapshot();
    assert.ok(snap1.type === 'snapshot');
    const failed = snap1.messages[1];
    assert.equal(failed.state, 'error');
    assert.equal(session.retry(failed.id), true);
    await session.idle();
    const snap2 = session.snapshot();
    assert.ok(snap2.type === 'snapshot');
    assert.deepEqual(
      snap2.messages.map((m) => [m.role, m.text, m.state]),
      [
        ['user', 'Hi', 'done'],
        ['assistant', 'ok', 'done'],
      ],
    );
    assert.deepEqual(server.chatRequests[1].body.messages, [{ role: 'user', content: 'Hi' }]);
  });
});
