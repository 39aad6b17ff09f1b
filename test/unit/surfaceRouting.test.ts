/**
 * Which chat surface the commands act on (the one the user was in last), and closing a surface: its answers
 * stop and are kept, stopped, in the store, while another surface's answer goes on. Real store, fake Ollama.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChatSurfaces, stopAll, type ChatSurfaceEntry } from '../../src/extension/view/chatSurfaces';
import { ConversationStore } from '../../src/history/conversationStore';
import { ChatSessions } from '../../src/streaming/chat/chatSessions';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { waitFor } from '../fakes/mcpServers';
import { answerLines, FakeOllama, paced } from '../fakes/ollamaServer';

const silent = { info() {}, warn() {}, error() {} };

describe('Chat surfaces: routing and closing', () => {
  const server = new FakeOllama();
  const root = mkdtempSync(join(tmpdir(), 'model-chat-routing-'));
  let store: ConversationStore;

  const sessions = () =>
    new ChatSessions({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'm', maxUpdatesPerSecond: 20 }),
      providerFor: createProvider,
      persist: store,
      post: () => {},
      log: silent,
    });
  const entry = (s: ChatSessions): ChatSurfaceEntry => ({ sessions: s, reveal: () => {} });

  before(async () => {
    await server.start();
    store = new ConversationStore({ dir: join(root, 'store') });
  });
  after(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('commands act on the surface focused last; the first (the sidebar) until then, and again when that one closes', () => {
    const surfaces = new ChatSurfaces();
    assert.equal(surfaces.current(), undefined);
    const [sidebar, tab, other] = [entry(sessions()), entry(sessions()), entry(sessions())];
    surfaces.add(sidebar);
    const tabGone = surfaces.add(tab);
    surfaces.add(other);
    assert.equal(surfaces.current(), sidebar);
    surfaces.focus(tab);
    assert.equal(surfaces.current(), tab);
    surfaces.focus(other);
    assert.equal(surfaces.current(), other);
    surfaces.focus(tab);
    tabGone.dispose();
    assert.equal(surfaces.current(), sidebar, 'a closed tab is no longer where commands act');
    surfaces.focus(tab);
    assert.equal(surfaces.current(), sidebar, 'a closed tab cannot be focused');
  });

  it("closing a surface stops its answers (shown or not), kept as stopped in the store; another surface's answer goes on", async () => {
    server.onChat = (body) => {
      const last = body.messages.at(-1)?.content ?? '';
      return { steps: paced(answerLines(body.model, Array<string>(last.includes('long') ? 200 : 10).fill('w ')), 30) };
    };
    const closing = sessions();
    const staying = sessions();
    assert.ok(closing.active.send('long, out of sight'));
    const hidden = closing.active;
    closing.newChat(); // the answering one goes on out of sight
    assert.ok(closing.active.send('long, shown'));
    assert.ok(staying.active.send('short'));
    const shown = closing.active;
    await waitFor(() => hidden.snapshot().messages.at(-1)!.text.length > 0 && shown.snapshot().messages.at(-1)!.text.length > 0);
    assert.deepEqual(closing.backgroundIds(), [hidden.id]);

    await stopAll(closing);
    for (const session of [hidden, shown]) {
      assert.equal(session.busy, false);
      const stored = (await store.load(session.id)).conversation!;
      const answer = stored.messages.at(-1)!;
      assert.equal(answer.state, 'stopped', 'kept, as stopped');
      assert.ok(answer.text.length > 0 && answer.text.length < 400, `a partial answer (${answer.text.length} chars)`);
    }
    await staying.active.idle();
    assert.equal(staying.active.snapshot().messages.at(-1)!.state, 'done', 'the other surface answered to the end');
    assert.equal(staying.active.snapshot().messages.at(-1)!.text, 'w '.repeat(10));
    closing.dispose();
    staying.dispose();
  });
});
