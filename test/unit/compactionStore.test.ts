/**
 * Summaries and truncation notes kept with the conversation (issue #17): through the real store and back, a
 * reopened conversation shows the same summary and note and sends summary + recent turns without summarising
 * again; an undone summary is kept but not used; files of format 1 still load.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { ConversationStore } from '../../src/history/conversationStore';
import { fileNameOf } from '../../src/history/conversationFiles';
import { CONVERSATION_FORMAT_VERSION, migrate } from '../../src/history/conversationFormat';
import { exportJson, parseImport } from '../../src/history/exportJson';
import { conversationMarkdown } from '../../src/history/exportMarkdown';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { SUMMARY_INSTRUCTIONS } from '../../src/streaming/chat/compaction';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import type { StreamEvent } from '../../src/streaming/providers/events';
import type { ChatProvider, ChatRequest } from '../../src/streaming/providers/provider';

const silent = { info() {}, warn() {}, error() {} };
const root = path.join(tmpdir(), `compaction-store-test-${process.pid}`);
after(() => fs.rm(root, { recursive: true, force: true }));

class RecordingProvider implements ChatProvider {
  readonly url = 'http://recorder';
  readonly requests: ChatRequest[] = [];
  /** Prompt tokens the server says it read, when set: far fewer than were sent means the prompt was cut. */
  promptTokens: number | undefined;
  async listModels() {
    return [{ name: 'm' }];
  }
  async *chat(request: ChatRequest): AsyncGenerator<StreamEvent> {
    this.requests.push(structuredClone(request));
    const summary = request.messages[0]?.content === SUMMARY_INSTRUCTIONS;
    yield { type: 'text', text: summary ? 'The user asked about apples and pears.' : `Answer ${this.requests.length}.` };
    if (this.promptTokens !== undefined) yield { type: 'usage', usage: { promptTokens: this.promptTokens } };
    yield { type: 'done', reason: 'stop' };
  }
}

describe('summaries and truncation notes on disk', () => {
  let dir: string;
  let n = 0;
  beforeEach(async () => {
    dir = path.join(root, `d${++n}`);
    await fs.mkdir(dir, { recursive: true });
  });

  const open = (store: ConversationStore, provider: ChatProvider) => {
    const config: SessionConfig = {
      endpoint: { name: 'r', type: 'openai', url: 'http://recorder' },
      model: 'm',
      maxUpdatesPerSecond: 1000,
    };
    return new ChatSession({ config: () => config, providerFor: () => provider, post: () => {}, log: silent, persist: store });
  };

  it('a reopened conversation shows the summary and the note, and sends summary + recent turns without summarising again', async () => {
    const store = new ConversationStore({ dir });
    const provider = new RecordingProvider();
    const session = open(store, provider);
    for (const q of ['Apples?', 'Pears?']) {
      session.send(`${q} ${'fruit '.repeat(200)}`);
      await session.idle();
    }
    assert.equal(session.compact(), true);
    await session.idle();
    provider.promptTokens = 3; // far below the ~300 tokens sent
    session.send('And plums?');
    await session.idle();
    await store.flush(session.conversation());
    await store.dispose();

    const file = JSON.parse(await fs.readFile(path.join(dir, fileNameOf(session.conversation().id)), 'utf8'));
    assert.equal(file.version, CONVERSATION_FORMAT_VERSION);
    const onDisk = file.conversation.messages as Array<{ role: string; text: string; summary?: unknown; note?: { seen: number } }>;
    assert.equal(onDisk.filter((m) => m.role === 'user').length, 3, 'the originals are kept');
    const summaryAt = onDisk.findIndex((m) => m.summary);
    assert.deepEqual(onDisk[summaryAt].summary, { covers: summaryAt });
    assert.equal(onDisk[summaryAt].text, 'The user asked about apples and pears.');
    assert.equal(onDisk.at(-1)!.note?.seen, 3);

    const reopened = new ConversationStore({ dir });
    const { conversation } = await reopened.load(session.conversation().id);
    const later = new RecordingProvider();
    const again = open(reopened, later);
    assert.equal(again.restore(conversation!), true);
    const shown = again.snapshot().messages;
    assert.deepEqual(
      shown.map((m) => m.summary),
      session.snapshot().messages.map((m) => m.summary),
    );
    assert.deepEqual(shown.at(-1)!.note, session.snapshot().messages.at(-1)!.note);
    assert.deepEqual(
      shown.at(-1)!.note!.actions.map((a) => a.kind),
      ['compact'],
    );
    again.send('And cherries?');
    await again.idle();
    assert.equal(later.requests.length, 1, 'no summary request: the stored summary is used');
    const [request] = later.requests;
    assert.match(request.messages[0].content, /Summary of the earlier conversation[\s\S]*apples and pears/);
    assert.deepEqual(
      request.messages.map((m) => m.content.split(' ')[0]),
      ['Summary', 'Pears?', 'Answer', 'And', 'Answer', 'And'],
    );
    await reopened.dispose();
  });

  it('an undone summary stays on disk marked undone, is not shown, and the model gets every message again', async () => {
    const store = new ConversationStore({ dir });
    const provider = new RecordingProvider();
    const session = open(store, provider);
    for (const q of ['One', 'Two']) {
      session.send(q);
      await session.idle();
    }
    session.compact();
    await session.idle();
    const summary = session.snapshot().messages.find((m) => m.summary)!;
    assert.equal(session.undoSummary(summary.id), true);
    await store.flush(session.conversation());
    await store.dispose();

    const reopened = new ConversationStore({ dir });
    const { conversation } = await reopened.load(session.conversation().id);
    const stored = conversation!.messages.find((m) => m.summary);
    // A manual compaction keeps the last question word for word: it covers the first turn.
    assert.deepEqual(stored?.summary, { covers: 2, undone: true });
    assert.equal(conversation!.messages.indexOf(stored!), 2, 'where it was made');
    const later = new RecordingProvider();
    const again = open(reopened, later);
    again.restore(conversation!);
    assert.equal(
      again.snapshot().messages.some((m) => m.summary),
      false,
    );
    again.send('Three');
    await again.idle();
    assert.deepEqual(
      later.requests[0].messages.map((m) => m.content),
      ['One', 'Answer 1.', 'Two', 'Answer 2.', 'Three'],
    );
    // Saved again, it is still there, in the same place.
    assert.deepEqual(
      again.conversation().messages.map((m) => m.summary?.undone ?? m.role),
      ['user', 'assistant', true, 'user', 'assistant', 'user', 'assistant'],
    );
    await reopened.dispose();
  });

  it('loads a format 1 file as it is, and exports include the summary and the note', async () => {
    const v1 = {
      version: 1,
      conversation: {
        id: 'old',
        createdAt: 1,
        updatedAt: 2,
        messages: [
          { id: 'q', role: 'user', text: 'Hello', state: 'done' },
          { id: 'a', role: 'assistant', text: 'Hi', state: 'done' },
        ],
      },
    };
    await fs.writeFile(path.join(dir, fileNameOf('old')), JSON.stringify(v1));
    const store = new ConversationStore({ dir });
    const { conversation, problems } = await store.load('old');
    assert.deepEqual(problems, []);
    assert.deepEqual(conversation, v1.conversation);
    await store.dispose();

    const withSummary = structuredClone(v1.conversation) as typeof v1.conversation & { messages: object[] };
    withSummary.messages.push(
      { id: 's', role: 'assistant', text: 'They greeted each other.', state: 'done', summary: { covers: 2 } },
      { id: 'q2', role: 'user', text: 'Again', state: 'done' },
      {
        id: 'a2',
        role: 'assistant',
        text: 'Sure',
        state: 'done',
        note: { kind: 'truncated', seen: 10, sent: 900, actions: [{ kind: 'compact', label: 'Compact conversation' }] },
      },
    );
    const checked = migrate({ version: 2, conversation: withSummary });
    assert.ok(checked.ok);
    const md = conversationMarkdown(checked.conversation);
    assert.match(
      md,
      /## Summary of earlier messages \(the model got this instead of the 2 messages before it\)\n\nThey greeted each other\./,
    );
    assert.match(md, /The model saw only part of the conversation: 10 of about 900 tokens\./);
    const imported = parseImport(exportJson(checked.conversation, 0), () => 'copy');
    assert.ok(imported.ok);
    assert.deepEqual(imported.conversation.messages, checked.conversation.messages);
    // A summary on a question, or a malformed one, makes the file unreadable rather than half-loaded.
    assert.equal(
      migrate({ version: 2, conversation: { ...withSummary, messages: [{ ...withSummary.messages[0], summary: { covers: 0 } }] } }).ok,
      false,
    );
    assert.equal(
      migrate({ version: 2, conversation: { ...withSummary, messages: [{ ...withSummary.messages[1], summary: { covers: -1 } }] } }).ok,
      false,
    );
  });
});
