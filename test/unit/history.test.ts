import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HistoryController } from '../../src/extension/history/historyController';
import type { HistoryItem, HostToWebview } from '../../src/shared/protocol';
import { ChatSessions } from '../../src/streaming/chat/chatSessions';
import { ConversationStore } from '../../src/history/conversationStore';
import type { Conversation } from '../../src/history/conversationFormat';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { planPrune } from '../../src/history/storageBound';
import { answerLines, FakeOllama, paced } from '../fakes/ollamaServer';

const silent = { info() {}, warn() {}, error() {} };
type Posted = Exclude<HostToWebview, string>;

function conversation(id: string, updatedAt: number, question: string, size = 10): Conversation {
  return {
    id,
    createdAt: updatedAt,
    updatedAt,
    model: { endpoint: 'Local', model: 'm' },
    messages: [
      { id: `${id}-u`, role: 'user', text: question, state: 'done' },
      { id: `${id}-a`, role: 'assistant', text: 'x'.repeat(size), state: 'done' },
    ],
  };
}

describe('planPrune: which conversations make room', () => {
  const s = (id: string, updatedAt: number, bytes: number) => ({ id, title: id, createdAt: 0, updatedAt, messageCount: 2, bytes });
  it('proposes nothing under the bound, the oldest first above it, and never one it must keep', () => {
    const all = [s('new', 30, 100), s('old', 10, 100), s('mid', 20, 100)];
    assert.equal(planPrune(all, 300, 300, new Set()), undefined);
    assert.deepEqual(planPrune(all, 301, 300, new Set())?.ids, ['old']);
    assert.deepEqual(planPrune(all, 450, 300, new Set())?.ids, ['old', 'mid']);
    assert.deepEqual(planPrune(all, 450, 300, new Set(['old'])), { ids: ['mid', 'new'], titles: ['mid', 'new'], freedBytes: 200 });
    assert.equal(planPrune(all, 450, 300, new Set(['old', 'mid', 'new'])), undefined);
  });
});

describe('HistoryController against a real store and real sessions', () => {
  const server = new FakeOllama();
  const root = mkdtempSync(join(tmpdir(), 'model-chat-history-'));
  let dirN = 0;
  let store: ConversationStore;
  let sessions: ChatSessions;
  let history: HistoryController;
  let posted: Posted[];
  let asked: string[];
  let answer: string | undefined;
  let limit: number;
  before(() => server.start());
  after(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    server.models = [{ name: 'm:latest' }];
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Fine.']) });
    store = new ConversationStore({ dir: join(root, `s${dirN++}`) });
    posted = [];
    asked = [];
    answer = undefined;
    limit = 1024 * 1024;
    const post = (m: HostToWebview) => typeof m !== 'string' && posted.push(structuredClone(m));
    sessions = new ChatSessions({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'm', maxUpdatesPerSecond: 50 }),
      providerFor: createProvider,
      persist: store,
      post,
      log: silent,
    });
    history = new HistoryController({
      store,
      sessions,
      post,
      log: silent,
      reportProblems: () => {},
      ask: async (message) => {
        asked.push(message);
        return answer;
      },
      limitBytes: () => limit,
      openLimitSetting: () => {},
    });
  });
  const lastList = (): { items: HistoryItem[]; query: string; activeId?: string } => {
    const list = posted.filter((m): m is Extract<Posted, { type: 'history' }> => m.type === 'history').at(-1);
    assert.ok(list, 'a history list was posted');
    return list;
  };
  const lastNotice = () => posted.filter((m): m is Extract<Posted, { type: 'notice' }> => m.type === 'notice').at(-1);

  it('lists conversations newest first with title, model and count, and searches their text', async () => {
    await store.save(conversation('a', 1000, 'How do I sort an array?'));
    await store.save(conversation('b', 2000, 'What is a monad?'));
    await history.list('');
    assert.deepEqual(
      lastList().items.map((i) => [i.title, i.model, i.messageCount]),
      [
        ['What is a monad?', 'm', 2],
        ['How do I sort an array?', 'm', 2],
      ],
    );
    await history.list('sort');
    assert.deepEqual(
      lastList().items.map((i) => i.id),
      ['a'],
    );
    assert.equal(lastList().query, 'sort');
    assert.match(lastList().items[0].snippet ?? '', /sort an array/);
  });

  it('a newer search stops the one still reading files, whose result never shows', async () => {
    for (let i = 0; i < 30; i++) await store.save(conversation(`c${i}`, 1000 + i, i % 2 ? `About sorting ${i}` : `About monads ${i}`));
    posted.length = 0;
    await Promise.all([history.list('sorting'), history.list('monads')]);
    const lists = posted.filter((m): m is Extract<Posted, { type: 'history' }> => m.type === 'history');
    assert.deepEqual(
      lists.map((l) => l.query),
      ['monads'],
    );
    assert.equal(lists[0].items.length, 15);
    await assert.rejects(store.search('x', AbortSignal.abort()), { name: 'AbortError' });
  });

  it('opens a conversation into the view, and renames it (a live one keeps the new title when it saves again)', async () => {
    await store.save(conversation('a', 1000, 'Old question'));
    await history.open('a');
    assert.equal(sessions.active.id, 'a');
    const snapshot = posted.filter((m) => m.type === 'snapshot').at(-1);
    assert.ok(snapshot?.type === 'snapshot' && snapshot.messages[0].text === 'Old question');
    await history.rename('a', 'Sorting notes');
    assert.equal(lastList().items[0].title, 'Sorting notes');
    sessions.active.send('More?');
    await sessions.active.idle();
    await store.flush();
    const { conversations } = await store.list();
    assert.equal(conversations.find((c) => c.id === 'a')?.title, 'Sorting notes');
  });

  it('delete removes at once and Undo brings it back whole; deleting the open one moves the view to a new chat', async () => {
    await store.save(conversation('a', 1000, 'Keep me'));
    await history.open('a');
    await history.delete('a');
    assert.notEqual(sessions.active.id, 'a');
    assert.deepEqual(lastList().items, []);
    const notice = lastNotice();
    assert.equal(notice?.text, 'Deleted “Keep me”.');
    assert.equal(notice?.action?.label, 'Undo');
    await history.noticeAction(notice!.action!.id);
    assert.deepEqual(
      lastList().items.map((i) => i.id),
      ['a'],
    );
    const { conversation: back } = await store.load('a');
    assert.deepEqual(
      back?.messages.map((m) => m.text),
      ['Keep me', 'x'.repeat(10)],
    );
  });

  it('does not delete a conversation that is still answering, and marks it busy in the list', async () => {
    server.onChat = (body) => ({
      steps: paced(
        answerLines(
          body.model,
          Array.from({ length: 10 }, () => 'w '),
        ),
        30,
      ),
    });
    const running = sessions.active;
    running.send('Slow');
    await new Promise((r) => setTimeout(r, 60));
    sessions.newChat();
    await history.list('');
    assert.equal(lastList().items.find((i) => i.id === running.id)?.busy, true);
    await history.delete(running.id);
    assert.match(lastNotice()?.text ?? '', /still answering/);
    await running.idle();
    assert.ok((await store.load(running.id)).conversation);
  });

  it('over the size bound it asks before pruning the oldest, and deletes nothing unless the user agrees', async () => {
    await store.save(conversation('old', 1000, 'Old', 4000));
    await store.save(conversation('mid', 2000, 'Mid', 4000));
    await store.save(conversation('new', 3000, 'New', 4000));
    await store.flush();
    const usage = await store.usage();
    limit = usage - 1000;
    answer = 'Not now';
    await history.enforceBound();
    assert.equal(asked.length, 1);
    assert.match(asked[0], /Delete the 1 oldest \(“Old”\)/);
    assert.equal((await store.list()).conversations.length, 3, 'nothing is deleted without a yes');
    await history.enforceBound();
    assert.equal(asked.length, 1, 'after Not now it does not ask again in this window');

    // Two turns ending together ask once; a conversation opened while the prompt is up is not pruned.
    let asks = 0;
    const racing = new HistoryController({
      store,
      sessions,
      post: () => {},
      log: silent,
      reportProblems: () => {},
      limitBytes: () => limit,
      openLimitSetting: () => {},
      ask: async () => {
        asks++;
        await sessions.open('old', async (id) => (await store.load(id)).conversation);
        return 'Delete oldest';
      },
    });
    await Promise.all([racing.enforceBound(), racing.enforceBound()]);
    assert.equal(asks, 1);
    assert.equal(sessions.active.id, 'old');
    assert.equal((await store.list()).conversations.length, 3, 'the conversation opened meanwhile stays');
    sessions.newChat();

    const again = new HistoryController({
      store,
      sessions,
      post: () => {},
      log: silent,
      reportProblems: () => {},
      ask: async (m) => (asked.push(m), 'Delete oldest'),
      limitBytes: () => limit,
      openLimitSetting: () => {},
    });
    await again.enforceBound();
    assert.deepEqual((await store.list()).conversations.map((c) => c.id).sort(), ['mid', 'new']);
    assert.ok((await store.usage()) <= limit);
  });
});
