/**
 * Issue 13: two windows with no folder share one history folder (global storage). Neither may overwrite the
 * other's messages: a newer file on disk is merged (one is a prefix of the other) or both are kept.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConversationStore } from '../../src/history/conversationStore';
import type { Conversation } from '../../src/history/conversationFormat';
import type { StoredMessage } from '../../src/history/storedMessage';
import type { ConversationFork } from '../../src/history/storeTypes';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { ChatSessions } from '../../src/streaming/chat/chatSessions';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { HistoryController } from '../../src/extension/history/historyController';
import type { HostToWebview } from '../../src/shared/protocol';
import { FakeOllama } from '../fakes/ollamaServer';

const root = path.join(tmpdir(), `history-two-windows-${process.pid}`);
let dirCount = 0;
async function freshDir(): Promise<string> {
  const dir = path.join(root, `d${++dirCount}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}
after(() => fs.rm(root, { recursive: true, force: true }));

const msg = (id: string, role: 'user' | 'assistant', text: string, state: StoredMessage['state'] = 'done'): StoredMessage => ({
  id,
  role,
  text,
  state,
});

function shared(id = 'shared'): Conversation {
  return { id, createdAt: 1000, updatedAt: 1000, messages: [msg('u1', 'user', 'First question'), msg('a1', 'assistant', 'First answer')] };
}

/** Every message text in every conversation file of the folder. */
async function textsOnDisk(dir: string): Promise<string[]> {
  const texts: string[] = [];
  for (const name of await fs.readdir(dir)) {
    if (!/^conversation-.*\.json$/.test(name)) continue;
    const file = JSON.parse(await fs.readFile(path.join(dir, name), 'utf8'));
    for (const m of file.conversation.messages) texts.push(m.text);
  }
  return texts;
}

const conversationFiles = async (dir: string) => (await fs.readdir(dir)).filter((f) => /^conversation-.*\.json$/.test(f));

/** Starts a small script in another process (another window's extension host) with `node --import tsx`. */
async function otherProcess(script: string) {
  const file = path.join(root, `child-${++dirCount}.ts`);
  const storeModule = path.resolve(__dirname, '../../src/history/conversationStore.ts');
  await fs.writeFile(
    file,
    `import { ConversationStore } from ${JSON.stringify(storeModule)};\n(async () => {\n${script}\n})().catch((err) => {\n  console.error(err);\n  process.exit(1);\n});\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: path.resolve(__dirname, '../..'),
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return {
    /** Resolves once the script has printed `line`. */
    async printed(line: string): Promise<void> {
      while (!out.includes(`${line}\n`)) {
        if (child.exitCode !== null) assert.fail(`the other process ended before printing ${line}: ${err}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    /** Writes `line` to its stdin and closes it (so the script can end). */
    tell(line: string): void {
      child.stdin.end(`${line}\n`);
    },
    async done(): Promise<void> {
      assert.equal(await exited, 0, `the other process failed: ${err}`);
    },
  };
}

describe('history shared by two windows (issue 13)', () => {
  it('two windows adding different messages to one conversation: every message of both stays, and the list shows both', async () => {
    const dir = await freshDir();
    await new ConversationStore({ dir }).save(shared());
    const windowA = new ConversationStore({ dir });
    const windowB = new ConversationStore({ dir });
    const a = (await windowA.load('shared')).conversation!;
    const b = (await windowB.load('shared')).conversation!;
    a.messages.push(msg('ua', 'user', 'Question from window A'), msg('aa', 'assistant', 'Answer in window A'));
    b.messages.push(msg('ub', 'user', 'Question from window B'), msg('ab', 'assistant', 'Answer in window B'));
    await windowA.save(a);
    await windowB.save(b);

    const texts = await textsOnDisk(dir);
    for (const t of ['Question from window A', 'Answer in window A', 'Question from window B', 'Answer in window B'])
      assert.ok(texts.includes(t), `${t} is on disk`);
    const { conversations, problems } = await new ConversationStore({ dir }).list();
    assert.deepEqual(problems, []);
    assert.equal(conversations.length, 2, 'both versions are in the history');
    assert.ok(conversations.some((c) => c.id === 'shared' && c.title === 'First question'));
    assert.ok(conversations.some((c) => c.id !== 'shared' && c.title === 'First question (other window)'));

    // Window B goes on in its own copy; window A's stays as it was.
    b.messages.push(msg('ub2', 'user', 'Window B again'));
    await windowB.save(b);
    const { conversation: onDiskShared } = await new ConversationStore({ dir }).load('shared');
    assert.deepEqual(
      onDiskShared!.messages.map((m) => m.id),
      ['u1', 'a1', 'ua', 'aa'],
    );
    assert.ok((await textsOnDisk(dir)).includes('Window B again'));
    assert.equal((await conversationFiles(dir)).length, 2);
    const listedInB = await windowB.list();
    assert.equal(
      listedInB.conversations.find((c) => c.id === 'shared')?.messageCount,
      4,
      "window B lists window A's version under the old id",
    );
    const copyId = listedInB.conversations.find((c) => c.id !== 'shared')!.id;
    assert.equal(listedInB.conversations.find((c) => c.id === copyId)?.messageCount, 5);

    // Renaming either from window B's history renames that one, and B's writes still go to its copy.
    await windowB.rename('shared', "A's version");
    await windowB.rename(copyId, "B's version");
    b.messages.push(msg('ub3', 'user', 'Window B a third time'));
    await windowB.save(b);
    const fresh = new ConversationStore({ dir });
    assert.deepEqual((await fresh.list()).conversations.map((c) => [c.title, c.messageCount]).sort(), [
      ["A's version", 4],
      ["B's version", 6],
    ]);
  });

  it('a stale window saving a prefix of what is on disk keeps the longer version (one file, nothing lost)', async () => {
    const dir = await freshDir();
    await new ConversationStore({ dir }).save(shared());
    const windowA = new ConversationStore({ dir });
    const windowB = new ConversationStore({ dir });
    const a = (await windowA.load('shared')).conversation!;
    const stale = (await windowB.load('shared')).conversation!;
    a.messages.push(msg('ua', 'user', 'More from A'), msg('aa', 'assistant', 'More answer from A'));
    await windowA.save(a);
    stale.title = 'Renamed in B';
    await windowB.save(stale);
    assert.deepEqual(await conversationFiles(dir), ['conversation-shared.json']);
    const { conversation } = await new ConversationStore({ dir }).load('shared');
    assert.deepEqual(
      conversation!.messages.map((m) => m.id),
      ['u1', 'a1', 'ua', 'aa'],
    );
    assert.equal(conversation!.title, 'Renamed in B');
    // And B's next save of its (still short) conversation does not drop A's messages either.
    stale.title = 'Renamed again';
    await windowB.save(stale);
    assert.deepEqual(
      (await new ConversationStore({ dir }).load('shared')).conversation!.messages.map((m) => m.id),
      ['u1', 'a1', 'ua', 'aa'],
    );
  });

  it('checkpoints while streaming in two windows at once lose nothing', async () => {
    const dir = await freshDir();
    await new ConversationStore({ dir }).save(shared());
    const windowA = new ConversationStore({ dir, checkpointIntervalMs: 0 });
    const windowB = new ConversationStore({ dir, checkpointIntervalMs: 0 });
    const a = (await windowA.load('shared')).conversation!;
    const b = (await windowB.load('shared')).conversation!;
    a.messages.push(msg('ua', 'user', 'A asks'), msg('aa', 'assistant', '', 'streaming'));
    b.messages.push(msg('ub', 'user', 'B asks'), msg('ab', 'assistant', '', 'streaming'));
    for (let i = 0; i < 60; i++) {
      a.messages.at(-1)!.text += ` a${i}`;
      b.messages.at(-1)!.text += ` b${i}`;
      windowA.checkpoint(a);
      windowB.checkpoint(b);
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    a.messages.at(-1)!.state = 'done';
    b.messages.at(-1)!.state = 'done';
    await Promise.all([windowA.flush(a), windowB.flush(b)]);
    await Promise.all([windowA.idle(), windowB.idle()]);
    const texts = await textsOnDisk(dir);
    assert.ok(
      texts.some((t) => t.endsWith(' a59')),
      "window A's whole answer is on disk",
    );
    assert.ok(
      texts.some((t) => t.endsWith(' b59')),
      "window B's whole answer is on disk",
    );
    assert.ok(texts.includes('A asks') && texts.includes('B asks'));
    assert.deepEqual(
      (await fs.readdir(dir)).filter((f) => f.endsWith('.lock') || f.includes('.tmp-')),
      [],
      'no lock or temp file left',
    );
  });

  it('another process writing the same conversation at the same time loses none of its or our messages', { timeout: 60_000 }, async () => {
    const dir = await freshDir();
    await new ConversationStore({ dir }).save(shared());
    const N = 25;
    const here = new ConversationStore({ dir });
    const mine = (await here.load('shared')).conversation!;
    const other = await otherProcess(`
      const store = new ConversationStore({ dir: ${JSON.stringify(dir)} });
      const c = (await store.load('shared')).conversation;
      console.log('loaded');
      await new Promise((resolve) => process.stdin.once('data', resolve));
      process.stdin.destroy();
      for (let i = 0; i < ${N}; i++) {
        c.messages.push({ id: 'child-' + i, role: 'user', text: 'from the other process ' + i, state: 'done' });
        await store.save(c);
      }
      await store.dispose();
    `);
    // Both hold the same version; from here on both write at once.
    await other.printed('loaded');
    other.tell('go');
    for (let i = 0; i < N; i++) {
      mine.messages.push(msg(`parent-${i}`, 'user', `from this process ${i}`));
      await here.save(mine);
    }
    await other.done();
    const texts = await textsOnDisk(dir);
    for (let i = 0; i < N; i++) {
      assert.ok(texts.includes(`from this process ${i}`), `this process's message ${i} is on disk`);
      assert.ok(texts.includes(`from the other process ${i}`), `the other process's message ${i} is on disk`);
    }
    const { conversations } = await new ConversationStore({ dir }).list();
    assert.ok(conversations.length >= 2 || conversations[0].messageCount === 2 + 2 * N, 'the history shows every message');
  });

  it('the history index keeps entries written by another window', async () => {
    const dir = await freshDir();
    const windowA = new ConversationStore({ dir });
    const windowB = new ConversationStore({ dir });
    await windowA.save(shared('from-a-1'));
    await windowB.save(shared('from-b'));
    await windowA.save(shared('from-a-2'));
    const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8'));
    assert.deepEqual(index.conversations.map((e: { id: string }) => e.id).sort(), ['from-a-1', 'from-a-2', 'from-b']);
  });

  it('a lock left by a window that died holding it does not block saving, and is cleaned up', async () => {
    const dir = await freshDir();
    // A pid that is not running: spawn a process and wait for it to end.
    const dead = spawn(process.execPath, ['-e', '']);
    const pid = dead.pid!;
    await new Promise((resolve) => dead.on('exit', resolve));
    await fs.writeFile(path.join(dir, 'conversation-shared.json.lock'), `${pid} 0123456789abcdef`);
    await fs.writeFile(path.join(dir, 'index.json.lock'), `${pid} 0123456789abcdef`);
    const store = new ConversationStore({ dir });
    await store.save(shared());
    assert.deepEqual((await fs.readdir(dir)).sort(), ['conversation-shared.json', 'index.json']);
  });
});

describe('a chat whose conversation another window changed differently (issue 13)', () => {
  const server = new FakeOllama();
  before(() => server.start());
  after(() => server.stop());
  const silent = { info() {}, warn() {}, error() {} };
  const deps = (store: ConversationStore, post: (m: HostToWebview) => void = () => {}) => ({
    config: () => ({ endpoint: { name: 'Local', type: 'ollama' as const, url: server.url }, model: 'm', maxUpdatesPerSecond: 20 }),
    providerFor: createProvider,
    post,
    log: silent,
    persist: store,
  });
  const texts = (c: Conversation | undefined) => c?.messages.map((m) => m.text);

  /** Window A's session has one turn saved; window B then adds a question of its own to the same conversation. */
  async function diverge(dir: string, send: (text: string) => Promise<void>, id: () => string, windowA: ConversationStore) {
    await send('First question');
    await windowA.idle();
    const windowB = new ConversationStore({ dir });
    const theirs = (await windowB.load(id())).conversation!;
    theirs.messages.push(msg('ub', 'user', 'Question from window B'));
    await windowB.save(theirs);
    await windowB.dispose();
  }

  it(
    'the session goes on as the copy: its id, title and later saves are the copy’s, and the old id keeps the other version',
    { timeout: 20_000 },
    async () => {
      const dir = await freshDir();
      const windowA = new ConversationStore({ dir });
      const session = new ChatSession(deps(windowA));
      const forks: ConversationFork[] = [];
      session.onDidFork((f) => forks.push(f));
      const send = async (text: string) => {
        assert.ok(session.send(text));
        await session.idle();
      };
      await diverge(dir, send, () => session.id, windowA);
      const original = session.id;

      await send('Question from window A');
      await windowA.idle();
      assert.equal(forks.length, 1, 'told once');
      assert.notEqual(session.id, original, 'the session is the copy now');
      assert.deepEqual(forks[0], { from: original, to: session.id, title: 'First question (other window)' });
      assert.equal(session.displayTitle, 'First question (other window)');

      await send('Again in window A');
      await windowA.dispose();
      assert.equal(forks.length, 1, 'told once, however many saves follow');
      const disk = new ConversationStore({ dir });
      assert.deepEqual(texts((await disk.load(original)).conversation), ['First question', 'Hello, world!', 'Question from window B']);
      const copy = (await disk.load(session.id)).conversation;
      assert.equal(copy?.title, 'First question (other window)');
      assert.deepEqual(texts(copy), [
        'First question',
        'Hello, world!',
        'Question from window A',
        'Hello, world!',
        'Again in window A',
        'Hello, world!',
      ]);
      assert.equal((await conversationFiles(dir)).length, 2, 'one file each: nothing written under a third id');
    },
  );

  it(
    'the chat says so once, the history marks the copy, and Open shows the other version, whose questions then go to its own file',
    { timeout: 20_000 },
    async () => {
      const dir = await freshDir();
      const windowA = new ConversationStore({ dir });
      const posted: HostToWebview[] = [];
      const sessions = new ChatSessions(deps(windowA, (m) => posted.push(m)));
      const history = new HistoryController({
        store: windowA,
        sessions,
        post: (m) => posted.push(m),
        log: silent,
        reportProblems: () => {},
        ask: () => Promise.resolve(undefined),
        limitBytes: () => 1e9,
        openLimitSetting: () => {},
      });
      const following = history.followSessions();
      const send = async (text: string) => {
        assert.ok(sessions.active.send(text));
        await sessions.active.idle();
      };
      await diverge(dir, send, () => sessions.active.id, windowA);
      const original = sessions.active.id;
      await send('Question from window A');
      await windowA.idle();
      const copyId = sessions.active.id;

      const notices = posted.filter((m) => typeof m !== 'string' && m.type === 'notice');
      assert.deepEqual(notices, [
        {
          type: 'notice',
          text: 'Another window changed this conversation; yours is kept as “First question (other window)”.',
          action: { label: 'Open', id: `open:${original}` },
        },
      ]);
      type HistoryPost = Extract<HostToWebview, { type: 'history' }>;
      /** The newest history list posted, once it shows both versions (it is refreshed after the notice). */
      const listed = async (): Promise<HistoryPost> => {
        for (;;) {
          const last = posted.filter((m): m is HistoryPost => typeof m !== 'string' && m.type === 'history').at(-1);
          if (last?.items.length === 2) return last;
          await new Promise((r) => setImmediate(r));
        }
      };
      const list = await listed();
      assert.equal(list.activeId, copyId, 'the active marker is on the copy');
      assert.deepEqual(
        list.items.map((i) => [i.id, i.title]).sort(),
        [
          [copyId, 'First question (other window)'],
          [original, 'First question'],
        ].sort(),
      );

      await history.noticeAction(notices[0].type === 'notice' ? notices[0].action!.id : '');
      assert.equal(sessions.active.id, original);
      assert.deepEqual(texts(sessions.active.conversation()), ['First question', 'Hello, world!', 'Question from window B']);
      await send('Answer B’s question here');
      following.dispose();
      sessions.dispose();
      await windowA.dispose();
      const disk = new ConversationStore({ dir });
      assert.deepEqual(texts((await disk.load(original)).conversation), [
        'First question',
        'Hello, world!',
        'Question from window B',
        'Answer B’s question here',
        'Hello, world!',
      ]);
      assert.equal((await disk.load(copyId)).conversation?.messages.length, 4, 'the copy is left as it was');
      assert.equal((await conversationFiles(dir)).length, 2);
    },
  );
});
