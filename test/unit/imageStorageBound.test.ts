import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HistoryController } from '../../src/extension/history/historyController';
import type { Conversation } from '../../src/history/conversationFormat';
import { ConversationStore } from '../../src/history/conversationStore';
import { ImageBlobs } from '../../src/history/imageBlobs';
import { formatBytes, planPrune } from '../../src/history/storageBound';
import { ChatSessions } from '../../src/streaming/chat/chatSessions';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';

const silent = { info() {}, warn() {}, error() {} };
const LONG_AGO = new Date('2024-01-01T00:00:00Z');

/** Random bytes of a given size as base64: the blob store does not care what the image shows. */
const image = (bytes: number) => randomBytes(bytes).toString('base64');

function conversation(id: string, updatedAt: number, hashes: string[]): Conversation {
  return {
    id,
    createdAt: updatedAt,
    updatedAt,
    model: { endpoint: 'Local', model: 'm' },
    messages: [
      {
        id: `${id}-u`,
        role: 'user',
        text: `Question ${id}`,
        state: 'done',
        images: hashes.map((hash) => ({
          hash,
          mimeType: 'image/png',
          width: 64,
          height: 64,
          thumb: 'data:image/png;base64,AAAA',
          tokens: 576,
        })),
      },
      { id: `${id}-a`, role: 'assistant', text: `Answer ${id}`, state: 'done' },
    ],
  };
}

describe('planPrune with images', () => {
  const s = (id: string, updatedAt: number, images: string[]) => ({
    id,
    title: id,
    createdAt: 0,
    updatedAt,
    messageCount: 2,
    bytes: 10,
    images,
  });
  it('frees a shared image only with the last conversation that has it, never one a kept conversation has', () => {
    const all = [s('a', 1, ['x', 'shared']), s('b', 2, ['shared']), s('c', 3, ['y'])];
    const bytes = new Map([
      ['x', 100],
      ['shared', 1000],
      ['y', 100],
    ]);
    const usage = 30 + 1200;
    assert.deepEqual(planPrune(all, usage, usage - 1, new Set(), { bytes }), { ids: ['a'], titles: ['a'], freedBytes: 110 });
    assert.equal(planPrune(all, usage, usage - 200, new Set(), { bytes })?.freedBytes, 1120, 'b takes the shared image with it');
    assert.deepEqual(planPrune(all, usage, usage - 200, new Set(['b']), { bytes })?.ids, ['a', 'c']);
    assert.equal(planPrune(all, usage, usage - 200, new Set(['b']), { bytes })?.freedBytes, 220, 'kept b holds the shared image');
    assert.equal(planPrune(all, usage, 0, new Set(), { bytes, keep: new Set(['shared']) })?.freedBytes, 230);
  });
});

describe('the storage bound counts images (real files)', () => {
  const server = new FakeOllama();
  /** The chat sessions over `store`, talking to a vision model on the fake server. */
  const llavaSessions = (store: ConversationStore, blobs: ImageBlobs) =>
    new ChatSessions({
      config: () => ({ endpoint: { name: 'Local', type: 'ollama', url: server.url }, model: 'llava', maxUpdatesPerSecond: 50 }),
      providerFor: createProvider,
      persist: store,
      images: blobs,
      post: () => {},
      log: silent,
    });
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'model-chat-image-bound-'));
    await server.start();
  });
  after(async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('prunes the oldest conversations with their images, keeps shared and open ones, and ends under the bound', async () => {
    const blobs = new ImageBlobs(join(root, 'images'));
    const store = new ConversationStore({ dir: join(root, 'conversations'), images: blobs });
    const data = { u: [0, 1, 2, 3, 4, 5].map(() => image(40_000)), shared: image(60_000), pair: image(60_000) };
    const u = await Promise.all(data.u.map((d) => blobs.put(d)));
    const shared = await blobs.put(data.shared); // c0 and c5: the newest keeps it
    const pair = await blobs.put(data.pair); // c1 and c2: goes with the later of them
    const orphan = await blobs.put(image(40_000)); // from a conversation deleted long ago
    const plan = [
      ['c0', [u[0], shared]],
      ['c1', [u[1], pair]],
      ['c2', [u[2], pair]],
      ['c3', [u[3]]],
      ['c4', [u[4]]],
      ['c5', [u[5], shared]],
    ] as const;
    for (const [i, [id, hashes]] of plan.entries()) await store.save(conversation(id, 1000 * (i + 1), [...hashes]));
    for (const name of await readdir(blobs.dir)) await utimes(join(blobs.dir, name), LONG_AGO, LONG_AGO);
    // Just put, by a question not saved yet (maybe in another window): the grace keeps it.
    const fresh = await blobs.put(image(30_000));
    await store.flush();

    const size = async (hash: string) => (await stat(join(blobs.dir, `${hash}.bin`))).size;
    const fileBytes = new Map((await store.list()).conversations.map((c) => [c.id, c.bytes]));
    const indexBytes = async () => (await stat(join(store.dir, 'index.json'))).size;
    const before = await store.usage();
    const indexBefore = await indexBytes();
    const orphanBytes = await size(orphan);
    // c0 is open in the chat: it stays, so c1, c2 and c3 must go.
    const needed = fileBytes.get('c1')! + (await size(u[1])) + fileBytes.get('c2')! + (await size(u[2])) + (await size(pair));
    const limit = before - orphanBytes - needed - 1;
    const expectedFreed = needed + fileBytes.get('c3')! + (await size(u[3]));

    const sessions = llavaSessions(store, blobs);
    assert.ok(await sessions.open('c0', async (id) => (await store.load(id)).conversation));
    const asked: string[] = [];
    const history = new HistoryController({
      store,
      sessions,
      post: () => {},
      log: silent,
      reportProblems: () => {},
      ask: async (m) => (asked.push(m), 'Delete oldest'),
      limitBytes: () => limit,
      openLimitSetting: () => {},
    });
    await history.enforceBound();

    const after = await store.usage();
    console.log(`image bound: ${before} bytes on disk before, ${after} after, limit ${limit}`);
    assert.equal(asked.length, 1);
    assert.match(asked[0], /Delete the 3 oldest \(“Question c1”, “Question c2”, “Question c3”\)/);
    assert.ok(asked[0].includes(`to free ${formatBytes(expectedFreed)}`), asked[0]);
    assert.ok(after <= limit, `${after} on disk, over the limit ${limit}`);
    assert.equal(
      before - after,
      orphanBytes + expectedFreed + (indexBefore - (await indexBytes())),
      'what was freed is what the prompt said, plus the orphan and the index’s shorter list',
    );
    assert.deepEqual((await store.list()).conversations.map((c) => c.id).sort(), ['c0', 'c4', 'c5']);
    assert.deepEqual(
      (await readdir(blobs.dir)).sort(),
      [u[0], shared, u[4], u[5], fresh].map((h) => `${h}.bin`).sort(),
      'the pruned conversations’ own images and the old orphan went; shared, open and fresh ones stayed',
    );

    // A conversation loaded after pruning still has its images, bytes and all.
    const loaded = (await store.load('c5')).conversation!;
    assert.deepEqual(
      loaded.messages[0].images?.map((i) => i.hash),
      [u[5], shared],
    );
    assert.equal(await blobs.get(shared), data.shared);
    // And the open one sends its images with the next question.
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Seen.']) });
    sessions.active.send('And now?');
    await sessions.active.idle();
    assert.deepEqual(server.chatRequests.at(-1)?.body.messages[0].images, [data.u[0], data.shared]);
    sessions.dispose();
    await store.dispose();
  });

  it('keeps the images of a deleted conversation while Undo can bring it back', async () => {
    const dir = join(root, 'undo');
    const blobs = new ImageBlobs(join(dir, 'images'));
    const store = new ConversationStore({ dir: join(dir, 'conversations'), images: blobs });
    const data = image(20_000);
    const hash = await blobs.put(data);
    await store.save(conversation('gone', 1000, [hash]));
    await utimes(join(blobs.dir, `${hash}.bin`), LONG_AGO, LONG_AGO);
    const sessions = llavaSessions(store, blobs);
    const notices: string[] = [];
    const history = new HistoryController({
      store,
      sessions,
      post: (m) => typeof m !== 'string' && m.type === 'notice' && notices.push(m.action?.id ?? ''),
      log: silent,
      reportProblems: () => {},
      ask: async () => 'Delete oldest',
      limitBytes: () => 1024 * 1024,
      openLimitSetting: () => {},
    });
    await history.delete('gone');
    await history.enforceBound(); // under the bound: only the sweep runs
    assert.equal(await blobs.get(hash), data, 'Undo is still offered: the image stays');
    // Another surface (an editor tab) has its own history controller, which knows nothing of that Undo.
    const otherSurface = new HistoryController({ ...history['deps'], post: () => {} });
    await otherSurface.enforceBound();
    assert.equal(await blobs.get(hash), data, 'the deletion renewed the image’s grace');
    await history.noticeAction(notices.at(-1)!);
    assert.deepEqual(
      (await store.load('gone')).conversation?.messages[0].images?.map((i) => i.hash),
      [hash],
    );
    assert.equal(await blobs.get(hash), data);
    // With nothing holding it, the next check removes it.
    await store.delete('gone');
    await utimes(join(blobs.dir, `${hash}.bin`), LONG_AGO, LONG_AGO);
    assert.ok((await store.sweepImages()) > 0);
    assert.deepEqual(await readdir(blobs.dir), []);
    sessions.dispose();
    await store.dispose();
  });

  it('reads again a conversation whose index entry predates image hashes', async () => {
    const dir = join(root, 'old-index', 'conversations');
    const first = new ConversationStore({ dir });
    const hash = 'a'.repeat(64);
    await first.save(conversation('c', 1000, [hash]));
    await first.dispose();
    const indexFile = join(dir, 'index.json');
    const index = JSON.parse(await readFile(indexFile, 'utf8'));
    for (const e of index.conversations) delete e.images;
    await writeFile(indexFile, JSON.stringify(index));
    const second = new ConversationStore({ dir });
    assert.deepEqual((await second.list()).conversations[0].images, [hash]);
    await second.dispose();
  });
});
