import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batchedPost } from '../../src/extension/chat/batchedPost';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { INTERRUPTED } from '../../src/shared/answerText';
import { ConversationStore } from '../../src/history/conversationStore';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { answerLines, FakeOllama, paced } from '../fakes/ollamaServer';

const silent = { info() {}, warn() {}, error() {} };

describe('ChatSession keeps the conversation in the store', () => {
  const server = new FakeOllama();
  const dir = mkdtempSync(join(tmpdir(), 'model-chat-persist-'));
  before(() => server.start());
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const session = (store: ConversationStore) =>
    new ChatSession({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'm', maxUpdatesPerSecond: 20 }),
      providerFor: createProvider,
      post: () => {},
      log: silent,
      persist: store,
    });

  it('saves each turn as it ends, and a new store instance (a reloaded window) reads it back whole', async () => {
    const store = new ConversationStore({ dir: join(dir, 'a') });
    const s = session(store);
    s.send('First question');
    await s.idle();
    s.send('Second question');
    await s.idle();
    await store.idle();
    const reloaded = new ConversationStore({ dir: join(dir, 'a') });
    const { conversations } = await reloaded.list();
    assert.equal(conversations.length, 1);
    assert.equal(conversations[0].title, 'First question');
    const { conversation } = await reloaded.load(conversations[0].id);
    assert.deepEqual(
      conversation!.messages.map((m) => [m.role, m.text, m.state]),
      [
        ['user', 'First question', 'done'],
        ['assistant', 'Hello, world!', 'done'],
        ['user', 'Second question', 'done'],
        ['assistant', 'Hello, world!', 'done'],
      ],
    );
    const again = session(reloaded);
    assert.ok(again.restore(conversation!));
    again.send('Third');
    await again.idle();
    assert.equal(server.chatRequests.at(-1)!.body.messages.length, 5, 'the restored conversation carries into the next question');
  });

  it('an answer cut off by the extension host dying comes back as interrupted, with its text so far and Retry', async () => {
    const store = new ConversationStore({ dir: join(dir, 'b'), checkpointIntervalMs: 200 });
    const s = session(store);
    server.onChat = (body) => ({
      steps: paced(
        answerLines(
          body.model,
          Array.from({ length: 100 }, (_, i) => `w${i} `),
        ),
        20,
      ),
      hang: true,
    });
    s.send('Long answer please');
    await new Promise((r) => setTimeout(r, 900));
    // The host dies: nothing is stopped or flushed; only what the checkpoints wrote survives.
    const reloaded = new ConversationStore({ dir: join(dir, 'b') });
    const { conversations } = await reloaded.list();
    const { conversation } = await reloaded.load(conversations[0].id);
    const answer = conversation!.messages[1];
    assert.equal(answer.state, 'interrupted');
    assert.match(answer.text, /^w0 w1 w2 /, 'the text up to the last checkpoint');
    const restored = session(reloaded);
    restored.restore(conversation!);
    const snap = restored.snapshot();
    assert.ok(snap.type === 'snapshot');
    assert.equal(snap.messages[1].state, 'error');
    assert.equal(snap.messages[1].error!.message, INTERRUPTED);
    assert.deepEqual(
      snap.messages[1].error!.actions.map((a) => a.kind),
      ['retry'],
    );
    s.dispose();
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Complete answer.']) });
    assert.ok(restored.retry(snap.messages[1].id));
    await restored.idle();
    const after = restored.snapshot();
    assert.ok(after.type === 'snapshot');
    assert.deepEqual(
      after.messages.map((m) => [m.role, m.text, m.state]),
      [
        ['user', 'Long answer please', 'done'],
        ['assistant', 'Complete answer.', 'done'],
      ],
    );
  });

  it('posts an update to the view before the checkpoint it asks for (the copy of the conversation waits, not the first token)', async () => {
    const order: string[] = [];
    const s = new ChatSession({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'm', maxUpdatesPerSecond: 20 }),
      providerFor: createProvider,
      // What the extension puts in front of the page: posts go out at the end of the event loop's turn.
      post: batchedPost((m) => order.push(typeof m === 'string' ? 'delta' : m.type)),
      log: silent,
      persist: { checkpoint: () => order.push('checkpoint'), flush: async () => void order.push('flush') },
    });
    const script = server.onChat;
    server.onChat = (body) => ({ steps: paced(answerLines(body.model, ['one ', 'two ', 'three']), 150) });
    try {
      s.send('Question');
      await s.idle();
    } finally {
      server.onChat = script;
    }
    const firstDelta = order.indexOf('delta');
    assert.ok(firstDelta > 0, `the first token went out on its own: ${order.join(', ')}`);
    assert.equal(order[firstDelta + 1], 'checkpoint', `then the checkpoint it asked for: ${order.join(', ')}`);
    assert.equal(order.slice(0, firstDelta).filter((m) => m === 'checkpoint').length, 0, `no checkpoint before it: ${order.join(', ')}`);
  });

  it("records the turn's own model in its checkpoints, reading the settings once per turn, not at every update", async () => {
    const recorded: Array<string | undefined> = [];
    let reads = 0;
    let model = 'first-model';
    const s = new ChatSession({
      config: () => {
        reads++;
        return { endpoint: { name: 'Local', type: 'ollama', url: server.url }, model, maxUpdatesPerSecond: 20 };
      },
      providerFor: createProvider,
      post: () => {},
      log: silent,
      persist: { checkpoint: (c) => void recorded.push(c.model?.model), flush: async (c) => void recorded.push(c.model?.model) },
    });
    const script = server.onChat;
    const words = Array.from({ length: 12 }, (_, i) => `w${i} `);
    server.onChat = (body) => ({ steps: paced(answerLines(body.model, words), 60) });
    try {
      s.send('Question');
      // The user picks another model while the answer streams: the answer is still the first model's.
      model = 'picked-later';
      const readsBefore = reads;
      await s.idle();
      assert.ok(recorded.length >= 6, `checkpoints while it streamed: ${recorded.length}`);
      assert.deepEqual([...new Set(recorded)], ['first-model'], 'every save of the turn names the model that wrote it');
      assert.ok(reads - readsBefore <= 3, `settings read ${reads - readsBefore} times over ${recorded.length} saves`);
      // Between turns, the conversation names the model the next turn will use.
      assert.equal(s.conversation().model?.model, 'picked-later');
    } finally {
      server.onChat = script;
    }
  });
});
