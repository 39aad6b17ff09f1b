/**
 * Two chat surfaces (the sidebar and an editor tab) against a real store and a fake Ollama: each streams into
 * its own page at the same time, and a conversation lives in one place, moved rather than copied.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HistoryController } from '../../src/extension/history/historyController';
import { ChatSurfaces, type ChatSurfaceEntry } from '../../src/extension/view/chatSurfaces';
import { decodeDelta, type HostToWebview } from '../../src/shared/protocol';
import { ChatSessions } from '../../src/streaming/chat/chatSessions';
import { ConversationStore } from '../../src/history/conversationStore';
import type { Conversation } from '../../src/history/conversationFormat';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { answerLines, FakeOllama, paced } from '../fakes/ollamaServer';
import { waitFor } from '../fakes/mcpServers';

const silent = { info() {}, warn() {}, error() {} };

interface Surface {
  sessions: ChatSessions;
  history: HistoryController;
  entry: ChatSurfaceEntry;
  posted: HostToWebview[];
  /** When each was posted. */
  at: number[];
  revealed: number;
  /** Conversations its history list asked to open in a new editor tab. */
  toEditor: Conversation[];
}

describe('Chat surfaces: the sidebar and editor tabs', () => {
  const server = new FakeOllama();
  const root = mkdtempSync(join(tmpdir(), 'model-chat-surfaces-'));
  let dirN = 0;
  let store: ConversationStore;
  let surfaces: ChatSurfaces;

  function surface(): Surface {
    const s = { posted: [] as HostToWebview[], at: [] as number[], revealed: 0, toEditor: [] as Conversation[] } as Surface;
    const post = (m: HostToWebview) => {
      s.posted.push(typeof m === 'string' ? m : structuredClone(m));
      s.at.push(performance.now());
    };
    s.sessions = new ChatSessions({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'm', maxUpdatesPerSecond: 20 }),
      providerFor: createProvider,
      persist: store,
      post,
      log: silent,
    });
    s.entry = { sessions: s.sessions, reveal: () => s.revealed++ };
    s.history = new HistoryController({
      store,
      sessions: s.sessions,
      post,
      log: silent,
      reportProblems: () => {},
      ask: () => Promise.resolve(undefined),
      limitBytes: () => 1024 * 1024,
      openLimitSetting: () => {},
      elsewhere: { surfaces, entry: s.entry, openInEditor: (c) => s.toEditor.push(c) },
    });
    surfaces.add(s.entry);
    return s;
  }
  /** The streamed text a page got (compact deltas go to the answer being written; full ones name it) and the answers named. */
  const streamed = (s: Surface) => {
    let text = '';
    const ids = new Set<string>();
    for (const m of s.posted) {
      if (typeof m === 'string') text += decodeDelta(m)?.text ?? '';
      else if (m.type === 'delta') {
        text += m.text;
        ids.add(m.id);
      }
    }
    return { text, ids: [...ids] };
  };
  const deltaTimes = (s: Surface) => s.posted.flatMap((m, i) => (typeof m === 'string' ? [s.at[i]] : []));
  const notices = (s: Surface) => s.posted.flatMap((m) => (typeof m !== 'string' && m.type === 'notice' ? [m.text] : []));
  const ask = async (s: Surface, question: string) => {
    assert.ok(s.sessions.active.send(question));
    await s.sessions.active.idle();
  };

  before(() => server.start());
  after(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.models = [{ name: 'm:latest' }];
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Fine.']) });
    store = new ConversationStore({ dir: join(root, `s${dirN++}`) });
    surfaces = new ChatSurfaces();
  });

  it('two surfaces stream at once, each answer only into its own page', async () => {
    const [sidebar, tab] = [surface(), surface()];
    server.onChat = (body) => {
      const word = body.messages.at(-1)?.content === 'left?' ? 'LEFT ' : 'RIGHT ';
      return { steps: paced(answerLines(body.model, Array<string>(8).fill(word)), 40) };
    };
    sidebar.sessions.active.send('left?');
    tab.sessions.active.send('right?');
    await Promise.all([sidebar.sessions.active.idle(), tab.sessions.active.idle()]);
    // Each stream's first delta came before the other's last: they were written at the same time.
    const [a, b] = [deltaTimes(sidebar), deltaTimes(tab)];
    assert.ok(a[0] < b.at(-1)! && b[0] < a.at(-1)!, `overlapping streams (${a[0]}–${a.at(-1)} and ${b[0]}–${b.at(-1)})`);
    for (const [s, word] of [
      [sidebar, 'LEFT '],
      [tab, 'RIGHT '],
    ] as const) {
      const answer = s.sessions.active.snapshot().messages.at(-1)!;
      assert.equal(answer.text, word.repeat(8));
      // Every delta this page got belongs to its own answer and carries only its words.
      const got = streamed(s);
      assert.deepEqual(got.ids, [answer.id]);
      assert.equal(got.text, word.repeat(8));
    }
    assert.equal(surfaces.anyAnswering(), false);
  });

  it('Open in editor on the shown conversation moves it: the tab gets it whole, the sidebar shows a new chat', async () => {
    const sidebar = surface();
    await ask(sidebar, 'Move me');
    const id = sidebar.sessions.active.id;
    await sidebar.history.openInEditor(id);
    assert.equal(sidebar.toEditor.length, 1);
    assert.equal(sidebar.toEditor[0].id, id);
    assert.deepEqual(
      sidebar.toEditor[0].messages.map((m) => [m.role, m.text]),
      [
        ['user', 'Move me'],
        ['assistant', 'Fine.'],
      ],
    );
    assert.ok(sidebar.sessions.active.isEmpty, 'the sidebar shows a new chat');
    assert.equal(surfaces.locate(id), undefined, 'no live copy is left behind');
  });

  it('opening in one surface a conversation shown in another moves it there; never two live copies', async () => {
    const [sidebar, tab] = [surface(), surface()];
    await ask(sidebar, 'Where am I?');
    const id = sidebar.sessions.active.id;
    await tab.history.open(id);
    assert.equal(tab.sessions.active.id, id);
    assert.deepEqual(
      tab.sessions.active.snapshot().messages.map((m) => m.text),
      ['Where am I?', 'Fine.'],
    );
    assert.ok(sidebar.sessions.active.isEmpty);
    assert.equal(surfaces.locate(id)?.entry, tab.entry);
    // And back: from a stored conversation as well.
    await sidebar.history.open(id);
    assert.equal(sidebar.sessions.active.id, id);
    assert.ok(tab.sessions.active.isEmpty);
  });

  it('a conversation answering in one place stays there: the other is refused, and that place revealed', async () => {
    const [sidebar, tab] = [surface(), surface()];
    server.onChat = (body) => ({ steps: paced(answerLines(body.model, Array<string>(20).fill('x')), 30) });
    sidebar.sessions.active.send('Long one');
    const id = sidebar.sessions.active.id;
    await waitFor(() => streamed(sidebar).text.length > 0, 5_000);
    await tab.history.open(id);
    assert.equal(sidebar.revealed, 1);
    assert.notEqual(tab.sessions.active.id, id);
    await tab.history.openInEditor(id);
    assert.equal(tab.toEditor.length, 0);
    assert.match(notices(tab).join('\n'), /answering where it is/);
    // Deleting it from the other surface's list is refused too, and the list marks it answering.
    await tab.history.delete(id);
    assert.match(notices(tab).join('\n'), /still answering/);
    const list = tab.posted.filter((m) => typeof m !== 'string' && m.type === 'history').at(-1);
    assert.ok(list && typeof list !== 'string' && list.type === 'history' && list.items.find((i) => i.id === id)?.busy);
    sidebar.sessions.active.stop();
    await sidebar.sessions.active.idle();
    assert.deepEqual(surfaces.inUse(), new Set([id]));
  });
});
