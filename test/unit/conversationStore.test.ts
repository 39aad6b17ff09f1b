import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { build } from 'esbuild';
import type { ToolCallInfo } from '../../src/shared/protocol';
import { ConversationStore } from '../../src/history/conversationStore';
import { fileNameOf } from '../../src/history/conversationFiles';
import { migrate, titleOf, type Conversation } from '../../src/history/conversationFormat';
import { TOOL_INTERRUPTED, type StoredMessage } from '../../src/history/storedMessage';
import type { WriteEvent } from '../../src/history/storeTypes';
import { GROWING_ID, interruptedAt, stepOf } from '../fakes/growingConversation';
import { FakeClock } from './fakeClock';

const root = path.join(tmpdir(), `conversation-store-test-${process.pid}`);
let dirCount = 0;
async function freshDir(): Promise<string> {
  const dir = path.join(root, `d${++dirCount}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

function conversation(id: string, opts: { question?: string; n?: number; createdAt?: number; streaming?: boolean } = {}): Conversation {
  const messages: StoredMessage[] = [];
  const n = opts.n ?? 2;
  for (let i = 0; i < n; i++) {
    messages.push(
      i % 2 === 0
        ? { id: `${id}-u${i}`, role: 'user', text: i === 0 ? (opts.question ?? `Question for ${id}`) : `Follow-up ${i}`, state: 'done' }
        : { id: `${id}-a${i}`, role: 'assistant', text: `Answer ${i} of ${id}`, state: 'done' },
    );
  }
  if (opts.streaming) messages.push({ id: `${id}-live`, role: 'assistant', text: 'Partial ans', state: 'streaming' });
  return {
    id,
    createdAt: opts.createdAt ?? 1000,
    updatedAt: opts.createdAt ?? 1000,
    model: { endpoint: 'Ollama', model: 'llama3.2' },
    messages,
  };
}

/** Tricky text: every kind of character JSON has to escape, astral and combining characters, a lone surrogate. */
const TRICKY = 'Grüße 🚀 日本語 e\u0301 "quotes" \\back\\slash\\ \n\r\n\t \u0000\u0001\u001f \u2028\u2029 \ud800 ```ts\nconst x = 1;\n```';

function bigConversation(id: string, count: number): Conversation {
  const messages: StoredMessage[] = [];
  for (let i = 0; i < count; i++) {
    const role = i % 2 === 0 ? 'user' : 'assistant';
    const state = i === count - 1 ? 'error' : i % 37 === 5 ? 'stopped' : 'done';
    messages.push({
      id: `m${i}`,
      role,
      text: `${i}: ${TRICKY} `.repeat(1 + (i % 7)),
      state,
      ...(state === 'error'
        ? {
            error: {
              message: 'Ollama is not running at http://127.0.0.1:11434.',
              actions: [
                { kind: 'retry', label: 'Retry' },
                { kind: 'openSettings', label: 'Edit endpoints', setting: 'modelChat.endpoints' },
              ],
            },
          }
        : {}),
    } as StoredMessage);
  }
  return {
    id,
    title: `Big ${TRICKY}`,
    createdAt: 1_700_000_000_123,
    updatedAt: 1_700_000_000_456,
    model: { endpoint: 'LM Studio', model: 'qwen3-8b' },
    messages,
  };
}

const visibleFiles = async (dir: string) => (await fs.readdir(dir)).sort();

after(() => fs.rm(root, { recursive: true, force: true }));

describe('ConversationStore', () => {
  it('round-trips a conversation, and lists it with title, dates, model and message count from the index', async () => {
    const dir = await freshDir();
    const clock = new FakeClock();
    clock.advance(5_000);
    const store = new ConversationStore({ dir, clock });
    const c = bigConversation('round-trip', 12);
    delete c.title;
    c.messages[0].text = '  How do I   read a file\nin Node?  ';
    await store.save(c);
    assert.equal(c.updatedAt, 5_000, 'save stamps updatedAt');

    const reopened = new ConversationStore({ dir });
    const { conversation: loaded, problems } = await reopened.load('round-trip');
    assert.deepEqual(problems, []);
    assert.deepEqual(loaded, c);

    const list = await reopened.list();
    assert.deepEqual(list.problems, []);
    assert.equal(list.conversations.length, 1);
    const [summary] = list.conversations;
    assert.equal(summary.title, 'How do I read a file');
    assert.equal(summary.createdAt, c.createdAt);
    assert.equal(summary.updatedAt, 5_000);
    assert.deepEqual(summary.model, { endpoint: 'LM Studio', model: 'qwen3-8b' });
    assert.equal(summary.messageCount, 12);
    assert.equal(summary.bytes, (await fs.stat(path.join(dir, fileNameOf('round-trip')))).size);
    const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8'));
    assert.equal(index.version, 1);
    assert.equal(index.conversations[0].id, 'round-trip');
    const file = JSON.parse(await fs.readFile(path.join(dir, fileNameOf('round-trip')), 'utf8'));
    assert.equal(file.version, 2);
  });

  it('drops fields it does not know (seq, status) and refuses ids that are not file-name safe', async () => {
    const store = new ConversationStore({ dir: await freshDir() });
    const c = conversation('fields');
    Object.assign(c.messages[1], { seq: 7, status: 'Loading model…' });
    await store.save(c);
    const { conversation: loaded } = await new ConversationStore({ dir: store.dir }).load('fields');
    assert.deepEqual(Object.keys(loaded!.messages[1]).sort(), ['id', 'role', 'state', 'text']);
    assert.throws(() => store.checkpoint({ ...conversation('x'), id: '../escape' }), /Invalid conversation id/);
  });

  it('gives identical content after 100 save/load cycles of a 200-message conversation', { timeout: 60_000 }, async () => {
    const dir = await freshDir();
    const clock = new FakeClock();
    const original = bigConversation('cycles', 200);
    const store = new ConversationStore({ dir, clock });
    let current = structuredClone(original);
    for (let i = 0; i < 100; i++) {
      await store.save(current);
      const { conversation: loaded, problems } = await new ConversationStore({ dir, clock }).load('cycles');
      assert.deepEqual(problems, []);
      assert.ok(loaded);
      current = loaded;
    }
    assert.deepEqual(current, { ...original, updatedAt: 0 });
    assert.ok(
      current.messages.some((m) => m.text.includes('\ud800')),
      'a lone surrogate survives',
    );
    assert.deepEqual(await visibleFiles(dir), [fileNameOf('cycles'), 'index.json']);
  });

  it('marks an answer that was streaming when the editor died as interrupted, but not while this process streams it', async () => {
    const dir = await freshDir();
    const store = new ConversationStore({ dir });
    const c = conversation('died', { streaming: true });
    await store.flush(c);
    const live = await store.load('died');
    assert.equal(live.conversation?.messages.at(-1)?.state, 'streaming', 'this process is still streaming it');

    const afterRestart = await new ConversationStore({ dir }).load('died');
    const last = afterRestart.conversation?.messages.at(-1);
    assert.equal(last?.state, 'interrupted');
    assert.equal(last?.text, 'Partial ans', 'the partial answer is kept');
  });

  describe('checkpoints', () => {
    it('write at once, then at most every interval with the latest state, and at once on flush', async () => {
      const dir = await freshDir();
      const clock = new FakeClock();
      const writes: WriteEvent[] = [];
      const store = new ConversationStore({ dir, clock, onWrite: (e) => writes.push(e) });
      const c = conversation('cp', { streaming: true });
      const answer = c.messages.at(-1)!;

      store.checkpoint(c);
      await store.idle();
      assert.equal(writes.length, 1, 'the first checkpoint writes at once');

      for (let t = 0; t < 10; t++) {
        clock.advance(150);
        answer.text += ` token${t}`;
        store.checkpoint(c);
      }
      await store.idle();
      assert.equal(writes.length, 1, 'nothing more within the interval');
      clock.advance(2000 - 1500);
      await store.idle();
      assert.equal(writes.length, 2, 'one write when the interval ends');
      assert.ok(writes[1].conversation.messages.at(-1)!.text.endsWith('token9'), 'with the latest state');
      clock.advance(10_000);
      await store.idle();
      assert.equal(writes.length, 2, 'no write without a new checkpoint');

      answer.text += ' more';
      store.checkpoint(c);
      await store.idle();
      assert.equal(writes.length, 3, 'the interval had passed: at once');
      answer.text += ' and more';
      store.checkpoint(c);
      answer.state = 'done';
      await store.flush(c);
      assert.equal(writes.length, 4, 'flush writes without waiting for the interval');
      assert.equal(clock.pendingTimers, 0, 'and cancels the timed write');
      const { conversation: onDisk } = await new ConversationStore({ dir }).load('cp');
      assert.equal(onDisk?.messages.at(-1)?.text, answer.text);
      assert.equal(onDisk?.messages.at(-1)?.state, 'done');
    });

    it('never writes one file twice at once, coalesces a burst, and the last state wins', async () => {
      const dir = await freshDir();
      const inFlight = new Map<string, number>();
      let maxInFlight = 0;
      const realOpen = fs.open;
      const realRename = fs.rename;
      const target = (p: string) => p.replace(/\.tmp-\d+-\d+$/, '');
      mock.method(fs, 'open', async (file: string, flags: string, mode?: number) => {
        if (/\.tmp-\d+-\d+$/.test(String(file))) {
          const n = (inFlight.get(target(file)) ?? 0) + 1;
          inFlight.set(target(file), n);
          maxInFlight = Math.max(maxInFlight, n);
        }
        return realOpen(file, flags, mode);
      });
      mock.method(fs, 'rename', async (from: string, to: string) => {
        await new Promise((r) => setTimeout(r, 3));
        if (/\.tmp-\d+-\d+$/.test(String(from))) inFlight.set(target(from), (inFlight.get(target(from)) ?? 1) - 1);
        return realRename(from, to);
      });
      try {
        const writes: WriteEvent[] = [];
        const store = new ConversationStore({ dir, checkpointIntervalMs: 0, onWrite: (e) => writes.push(e) });
        const c = conversation('burst', { streaming: true });
        const pending: Promise<void>[] = [];
        for (let i = 0; i < 200; i++) {
          c.messages.at(-1)!.text += ` ${i}`;
          if (i % 3 === 0) pending.push(store.flush(c));
          else store.checkpoint(c);
        }
        await Promise.all(pending);
        await store.idle();
        assert.equal(maxInFlight, 1, 'one write of a file at a time');
        assert.ok(writes.length < 50, `coalesced: ${writes.length} writes for 200 checkpoints`);
        const revisions = writes.map((w) => w.revision);
        assert.deepEqual(
          revisions,
          [...revisions].sort((a, b) => a - b),
          'in order',
        );
        const { conversation: onDisk } = await new ConversationStore({ dir }).load('burst');
        assert.ok(onDisk?.messages.at(-1)?.text.endsWith(' 199'), 'the last state is on disk');
      } finally {
        mock.restoreAll();
      }
    });

    it('reports a failed flush and retries on the next checkpoint', async () => {
      const dir = await freshDir();
      const errors: string[] = [];
      const store = new ConversationStore({ dir, checkpointIntervalMs: 0, log: { info() {}, warn() {}, error: (m) => errors.push(m) } });
      const c = conversation('fails');
      const realOpen = fs.open;
      mock.method(fs, 'open', async (file: string, flags: string, mode?: number) => {
        if (/\.tmp-/.test(String(file))) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return realOpen(file, flags, mode);
      });
      try {
        await assert.rejects(store.flush(c), /ENOSPC/);
      } finally {
        mock.restoreAll();
      }
      assert.match(errors.join('\n'), /saving fails failed: ENOSPC/);
      assert.deepEqual(
        (await fs.readdir(dir)).filter((f) => f.includes('.tmp-')),
        [],
        'no temp file left behind',
      );
      store.checkpoint(c);
      await store.idle();
      assert.ok((await new ConversationStore({ dir }).load('fails')).conversation);
    });
  });

  describe('damaged files', () => {
    it('moves a corrupt, truncated, wrongly shaped or empty file aside, reports each once, and keeps the rest', async () => {
      const dir = await freshDir();
      const clock = new FakeClock();
      clock.advance(1_800_000_000_000);
      const store = new ConversationStore({ dir, clock });
      await store.save(conversation('good'));
      await store.save(conversation('cut'));
      const whole = await fs.readFile(path.join(dir, fileNameOf('cut')), 'utf8');
      await fs.writeFile(path.join(dir, fileNameOf('cut')), whole.slice(0, Math.floor(whole.length / 2)));
      await fs.writeFile(path.join(dir, fileNameOf('garbage')), '\u0000\u0000\u0000 not json at all');
      await fs.writeFile(
        path.join(dir, fileNameOf('shape')),
        JSON.stringify({ version: 1, conversation: { id: 'shape', createdAt: 1, updatedAt: 1, messages: 'nope' } }),
      );
      await fs.writeFile(path.join(dir, fileNameOf('empty')), '');
      await fs.writeFile(path.join(dir, fileNameOf('other')), JSON.stringify({ version: 1, conversation: conversation('not-other') }));

      const fresh = new ConversationStore({ dir, clock });
      const { conversations, problems } = await fresh.list();
      assert.deepEqual(
        conversations.map((c) => c.id),
        ['good'],
      );
      assert.deepEqual(problems.map((p) => p.file).sort(), ['cut', 'empty', 'garbage', 'other', 'shape'].map(fileNameOf).sort());
      for (const p of problems) {
        assert.equal(p.kind, 'corrupt');
        assert.ok(p.movedTo?.startsWith(`${p.file}.corrupt-2027-01-15T08-00-00-000Z`), p.movedTo);
        assert.ok((await fs.stat(path.join(dir, p.movedTo!))).isFile(), 'kept aside');
      }
      assert.match(problems.find((p) => p.file === fileNameOf('cut'))!.reason, /not valid JSON/);
      assert.match(problems.find((p) => p.file === fileNameOf('shape'))!.reason, /messages/);
      assert.match(problems.find((p) => p.file === fileNameOf('other'))!.reason, /not-other/);
      assert.equal(
        (await fs.readFile(path.join(dir, problems.find((p) => p.file === fileNameOf('cut'))!.movedTo!), 'utf8')).length,
        Math.floor(whole.length / 2),
        'byte for byte',
      );

      assert.deepEqual((await fresh.list()).problems, [], 'reported once');
      assert.deepEqual((await new ConversationStore({ dir }).list()).problems, [], 'and not again after a restart');

      // load() of a file damaged since the last list reports it too.
      await fs.writeFile(path.join(dir, fileNameOf('good')), '{"version":1,"conversation":{"id":"go');
      const loaded = await fresh.load('good');
      assert.equal(loaded.conversation, undefined);
      assert.equal(loaded.problems.length, 1);
      assert.equal(loaded.problems[0].kind, 'corrupt');
      assert.deepEqual((await fresh.list()).conversations, []);
    });

    it('leaves a file from a newer version in place and reports it', async () => {
      const dir = await freshDir();
      await fs.writeFile(path.join(dir, fileNameOf('future')), JSON.stringify({ version: 7, conversation: { id: 'future', fancy: true } }));
      const store = new ConversationStore({ dir });
      const { conversations, problems } = await store.list();
      assert.deepEqual(conversations, []);
      assert.equal(problems.length, 1);
      assert.equal(problems[0].kind, 'newerVersion');
      assert.equal(problems[0].movedTo, undefined);
      assert.ok(await fs.stat(path.join(dir, fileNameOf('future'))));
    });

    it('rebuilds a corrupt index (kept aside, reported) or a missing one from the conversation files', async () => {
      const dir = await freshDir();
      const store = new ConversationStore({ dir });
      await store.save(conversation('a', { question: 'First A' }));
      await store.save(conversation('b', { question: 'First B' }));
      await fs.writeFile(path.join(dir, 'index.json'), '{"version":1,"conversations":[{"id":"a","tit');
      const afterCorrupt = await new ConversationStore({ dir }).list();
      assert.deepEqual(afterCorrupt.conversations.map((c) => c.title).sort(), ['First A', 'First B']);
      assert.equal(afterCorrupt.problems.length, 1);
      assert.equal(afterCorrupt.problems[0].file, 'index.json');
      assert.ok(afterCorrupt.problems[0].movedTo);
      const rebuilt = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8'));
      assert.equal(rebuilt.conversations.length, 2);

      await fs.unlink(path.join(dir, 'index.json'));
      const afterMissing = await new ConversationStore({ dir }).list();
      assert.deepEqual(afterMissing.problems, []);
      assert.equal(afterMissing.conversations.length, 2);
      assert.ok(await fs.stat(path.join(dir, 'index.json')));
    });

    it('follows files changed behind its back (another window): a stale index entry is re-read, a removed file dropped', async () => {
      const dir = await freshDir();
      const mine = new ConversationStore({ dir });
      const other = new ConversationStore({ dir });
      await mine.save(conversation('shared', { question: 'Before' }));
      await mine.save(conversation('gone'));
      assert.equal((await mine.list()).conversations.length, 2);
      const changed = conversation('shared', { question: 'After, from the other window', n: 5 });
      await other.save(changed);
      await fs.unlink(path.join(dir, fileNameOf('gone')));
      const { conversations } = await mine.list();
      assert.deepEqual(
        conversations.map((c) => [c.id, c.title, c.messageCount]),
        [['shared', 'After, from the other window', 5]],
      );
    });
  });

  describe('tool cards and metrics', () => {
    const tool = (state: ToolCallInfo['state'], extra: Partial<ToolCallInfo> = {}): ToolCallInfo => ({
      name: 'read_file',
      server: 'filesystem',
      arguments: '{\n  "path": "/tmp/a.txt"\n}',
      state,
      ...extra,
    });

    function withTools(id: string): Conversation {
      return {
        id,
        createdAt: 1000,
        updatedAt: 1000,
        messages: [
          { id: 'u1', role: 'user', text: 'Read /tmp/a.txt and /tmp/b.png', state: 'done' },
          {
            id: 'a1',
            role: 'assistant',
            text: '',
            state: 'done',
            metrics: { firstTokenMs: 812, tokensPerSecond: 41.5, promptTokens: 1200, completionTokens: 37 },
          },
          {
            id: 't1',
            role: 'tool',
            text: '',
            state: 'done',
            tool: tool('done', {
              readOnly: true,
              startedAt: 1_700_000_000_000,
              durationMs: 42,
              result: { text: `a.txt: ${TRICKY}`, isError: false },
            }),
          },
          {
            id: 't2',
            role: 'tool',
            text: '',
            state: 'done',
            tool: tool('error', {
              startedAt: 1_700_000_000_050,
              durationMs: 7,
              result: { text: 'EACCES', isError: true, images: [{ mimeType: 'image/png', data: 'iVBORw0KGgo=' }] },
            }),
          },
          {
            id: 't3',
            role: 'tool',
            text: '',
            state: 'done',
            tool: {
              name: 'rm',
              arguments: '{}',
              state: 'cancelled',
              readOnly: false,
              result: { text: 'The user denied this tool call.', isError: true },
            },
          },
          { id: 'a2', role: 'assistant', text: 'Done.', state: 'done', metrics: {} },
        ],
      };
    }

    it('round-trips tool cards (every field) and answer metrics, and drops undefined and unknown keys', async () => {
      const dir = await freshDir();
      const store = new ConversationStore({ dir });
      const c = withTools('tools');
      const expected = structuredClone(c);
      // What the chat session hands in: keys set to undefined, fields the store does not know.
      Object.assign(c.messages[2].tool!, { server: 'filesystem', progress: undefined, images: undefined, extra: 'dropped' });
      Object.assign(c.messages[4].tool!, { server: undefined, startedAt: undefined });
      Object.assign(c.messages[1].metrics!, { promptTokens: 1200, cost: 3 });
      await store.save(c);
      const { conversation: loaded, problems } = await new ConversationStore({ dir }).load('tools');
      assert.deepEqual(problems, []);
      assert.deepEqual(loaded, { ...expected, updatedAt: c.updatedAt });
      assert.deepEqual(Object.keys(loaded!.messages[4].tool!).sort(), ['arguments', 'name', 'readOnly', 'result', 'state']);
      assert.deepEqual(
        migrate({ version: 1, conversation: loaded }),
        { ok: true, conversation: loaded, from: 1 },
        'still format version 1',
      );
      const file = JSON.parse(await fs.readFile(path.join(dir, fileNameOf('tools')), 'utf8'));
      assert.equal(file.version, 2);
      const [summary] = (await store.list()).conversations;
      assert.equal(summary.title, 'Read /tmp/a.txt and /tmp/b.png', 'tool cards do not make the title');
      assert.equal(summary.messageCount, 6);
    });

    it('cancels a tool call that was waiting or running when the editor died, but not while this process runs it', async () => {
      const dir = await freshDir();
      const store = new ConversationStore({ dir });
      const c = withTools('mid-call');
      c.messages.splice(3, 0, {
        id: 'run',
        role: 'tool',
        text: '',
        state: 'done',
        tool: tool('running', { startedAt: 5, progress: { progress: 3, total: 10, message: 'Reading…' } }),
      });
      c.messages.splice(4, 0, { id: 'ask', role: 'tool', text: '', state: 'done', tool: tool('pending', { readOnly: false }) });
      await store.flush(c);
      const live = await store.load('mid-call');
      assert.equal(live.conversation?.messages[3].tool?.state, 'running', 'this process is still running it');
      assert.equal(live.conversation?.messages[4].tool?.state, 'pending');

      const { conversation: afterRestart } = await new ConversationStore({ dir }).load('mid-call');
      const cut = { state: 'cancelled', result: { text: TOOL_INTERRUPTED, isError: true } };
      assert.deepEqual(afterRestart?.messages[3].tool, { ...tool('running', { startedAt: 5 }), ...cut }, 'progress goes, startedAt stays');
      assert.deepEqual(afterRestart?.messages[4].tool, { ...tool('pending', { readOnly: false }), ...cut });
      assert.deepEqual(
        afterRestart?.messages.filter((m) => m.id !== 'run' && m.id !== 'ask'),
        withTools('mid-call').messages,
        'finished cards are left alone',
      );
      assert.equal(TOOL_INTERRUPTED, 'Interrupted: the editor closed while this tool call was running.');

      // Once the call has ended, this process lets go of the live state; a reload sees it as it ended.
      c.messages[3].tool = {
        ...c.messages[3].tool!,
        state: 'done',
        progress: undefined,
        durationMs: 9,
        result: { text: 'ok', isError: false },
      };
      c.messages[4].tool = {
        ...c.messages[4].tool!,
        state: 'cancelled',
        result: { text: 'The user denied this tool call.', isError: true },
      };
      await store.flush(c);
      assert.equal((await store.load('mid-call')).conversation?.messages[3].tool?.state, 'done');
      assert.equal((await new ConversationStore({ dir }).load('mid-call')).conversation?.messages[3].tool?.result?.text, 'ok');
    });

    it('treats a wrongly shaped tool card or metrics as a corrupt file', async () => {
      const base = withTools('shapes');
      const variants: Array<[string, (m: Record<string, any>[]) => void, RegExp]> = [
        ['no tool on a tool message', (m) => delete m[2].tool, /message 2: a tool message without its tool call/],
        ['tool on a user message', (m) => (m[0].tool = m[2].tool), /message 0: a tool call on a message of role "user"/],
        ['unknown role', (m) => (m[2].role = 'function'), /unknown role "function"/],
        ['tool not an object', (m) => (m[2].tool = 'read_file'), /message 2: malformed tool call/],
        ['no name', (m) => delete m[2].tool.name, /malformed tool call \(no name\)/],
        ['arguments not text', (m) => (m[2].tool.arguments = { path: '/tmp' }), /no arguments/],
        ['unknown tool state', (m) => (m[2].tool.state = 'flying'), /unknown state "flying"/],
        ['server not text', (m) => (m[2].tool.server = 7), /server/],
        ['readOnly not a boolean', (m) => (m[2].tool.readOnly = 'yes'), /readOnly/],
        ['startedAt not a time', (m) => (m[2].tool.startedAt = '2025-01-01'), /startedAt/],
        ['durationMs null', (m) => (m[2].tool.durationMs = null), /durationMs/],
        ['progress without a number', (m) => (m[2].tool.progress = { progress: 'half' }), /malformed progress/],
        ['progress total not a number', (m) => (m[2].tool.progress = { progress: 1, total: '10' }), /malformed progress/],
        ['result without isError', (m) => (m[2].tool.result = { text: 'x' }), /malformed result/],
        ['result text not text', (m) => (m[2].tool.result = { text: null, isError: false }), /malformed result/],
        ['images not an array', (m) => (m[3].tool.result.images = { mimeType: 'image/png', data: '' }), /malformed result images/],
        ['image without data', (m) => (m[3].tool.result.images = [{ mimeType: 'image/png' }]), /malformed result images/],
        ['metrics not an object', (m) => (m[1].metrics = 5), /message 1: malformed metrics/],
        ['metric not a number', (m) => (m[1].metrics.firstTokenMs = '812'), /malformed metrics \(firstTokenMs is not a number\)/],
        ['metric null', (m) => (m[1].metrics.completionTokens = null), /completionTokens is not a number/],
      ];
      for (const [what, spoil, reason] of variants) {
        const raw = structuredClone(base) as unknown as { messages: Record<string, any>[] };
        spoil(raw.messages);
        const result = migrate(JSON.parse(JSON.stringify({ version: 1, conversation: raw })));
        assert.ok(!result.ok, what);
        assert.match(result.reason, reason, what);
        assert.ok(!result.newer, what);
      }

      // As a file: moved aside and reported, the other conversations kept.
      const dir = await freshDir();
      const store = new ConversationStore({ dir });
      await store.save(withTools('fine'));
      const spoilt = structuredClone(base) as unknown as { messages: Record<string, any>[] };
      spoilt.messages[2].tool.state = 'flying';
      await fs.writeFile(path.join(dir, fileNameOf('shapes')), JSON.stringify({ version: 1, conversation: spoilt }));
      const { conversations, problems } = await new ConversationStore({ dir }).list();
      assert.deepEqual(
        conversations.map((x) => x.id),
        ['fine'],
      );
      assert.equal(problems.length, 1);
      assert.equal(problems[0].kind, 'corrupt');
      assert.match(problems[0].reason, /message 2: malformed tool call \(unknown state "flying"\)/);
      assert.ok(problems[0].movedTo);
    });

    it("saves a conversation whose metrics hold a server's null, without it; refuses a tool card it could not read back", async () => {
      const dir = await freshDir();
      const errors: string[] = [];
      const store = new ConversationStore({ dir, log: { info() {}, warn() {}, error: (m) => errors.push(m) } });
      const c = withTools('lenient');
      Object.assign(c.messages[1].metrics!, { promptTokens: null, tokensPerSecond: Number.NaN });
      await store.save(c);
      const { conversation: loaded } = await new ConversationStore({ dir }).load('lenient');
      assert.deepEqual(loaded?.messages[1].metrics, { firstTokenMs: 812, completionTokens: 37 });

      const bad = withTools('refused');
      (bad.messages[2].tool as { state: string }).state = 'flying';
      await assert.rejects(store.save(bad), /Cannot store conversation "refused": message 2: malformed tool call/);
      assert.match(errors.join('\n'), /saving refused failed/);
      await assert.rejects(fs.stat(path.join(dir, fileNameOf('refused'))), { code: 'ENOENT' });
    });
  });

  describe('format version', () => {
    it('says why it cannot read a file: a newer version, an unknown one, none at all', () => {
      const newer = migrate({ version: 3, conversation: {} });
      assert.ok(!newer.ok && newer.newer);
      const unknown = migrate({ version: 'x' });
      assert.ok(!unknown.ok && !unknown.newer);
      assert.ok(!migrate(null).ok);
      assert.ok(!migrate([]).ok);
    });

    it('keeps a version 1 file that lost its version aside, saying so', async () => {
      const dir = await freshDir();
      const { version: _lost, ...unversioned } = { version: 1, conversation: conversation('lost') };
      const result = migrate(unversioned);
      assert.ok(!result.ok && !result.newer);
      assert.match(result.reason, /no format version/);
      assert.doesNotMatch(result.reason, /version 0/);

      await fs.writeFile(path.join(dir, fileNameOf('lost')), JSON.stringify(unversioned));
      const { conversations, problems } = await new ConversationStore({ dir }).list();
      assert.deepEqual(conversations, []);
      assert.equal(problems.length, 1);
      assert.equal(problems[0].kind, 'corrupt');
      assert.match(problems[0].reason, /no format version/);
      assert.ok(problems[0].movedTo, 'kept aside');
    });
  });

  it('searches titles and message text, case-insensitively, most recent first', async () => {
    const dir = await freshDir();
    const clock = new FakeClock();
    const store = new ConversationStore({ dir, clock });
    clock.advance(1000);
    const a = conversation('s-a', { question: 'Parsing ÄPFEL with regex' });
    await store.save(a);
    clock.advance(1000);
    const b = conversation('s-b', { question: 'Something else' });
    b.messages[1].text = 'You could use a parser combinator to handle äpfel and Birnen.';
    await store.save(b);
    clock.advance(1000);
    await store.save(conversation('s-c', { question: 'Unrelated' }));
    await store.rename('s-c', 'Renamed: apfel-free zone');

    const { hits, problems } = await store.search('äPfEl');
    assert.deepEqual(problems, []);
    assert.deepEqual(
      hits.map((h) => h.summary.id),
      ['s-b', 's-a'],
    );
    assert.equal(hits[1].inTitle, true);
    assert.equal(hits[0].inTitle, false);
    assert.deepEqual(
      hits[0].matches.map((m) => m.messageId),
      ['s-b-a1'],
    );
    assert.match(hits[0].matches[0].snippet, /parser combinator to handle äpfel and Birnen/);
    assert.deepEqual(
      (await store.search('renamed')).hits.map((h) => h.summary.id),
      ['s-c'],
      'renamed titles are searched',
    );
    assert.deepEqual((await store.search('.*')).hits, [], 'the query is text, not a pattern');
    assert.deepEqual((await store.search('   ')).hits, []);
  });

  it('renames without touching updatedAt; an empty title goes back to the first question', async () => {
    const dir = await freshDir();
    const clock = new FakeClock();
    const store = new ConversationStore({ dir, clock });
    clock.advance(42);
    await store.save(conversation('r', { question: 'Original question' }));
    clock.advance(1000);
    const renamed = await store.rename('r', '  My name  ');
    assert.equal(renamed?.title, 'My name');
    assert.equal(renamed?.updatedAt, 42);
    assert.equal((await new ConversationStore({ dir }).list()).conversations[0].title, 'My name');
    assert.equal((await store.rename('r', ''))?.title, 'Original question');
    assert.equal(await store.rename('nope', 'x'), undefined);
    assert.equal(titleOf({ messages: [{ id: '1', role: 'user', text: 'x'.repeat(100), state: 'done' }] }), `${'x'.repeat(79)}…`);
  });

  it('deletes, and restores exactly what was deleted; checkpoints of a deleted conversation are ignored', async () => {
    const dir = await freshDir();
    const store = new ConversationStore({ dir, checkpointIntervalMs: 0 });
    const c = bigConversation('del', 20);
    await store.save(c);
    await store.save(conversation('keep'));
    const saved = structuredClone(c);

    const deleted = await store.delete('del');
    assert.ok(deleted);
    assert.deepEqual(deleted.conversation, saved);
    assert.equal(deleted.summary.id, 'del');
    assert.deepEqual(
      (await store.list()).conversations.map((x) => x.id),
      ['keep'],
    );
    await assert.rejects(fs.stat(path.join(dir, fileNameOf('del'))), { code: 'ENOENT' });

    store.checkpoint(c);
    await store.idle();
    await assert.rejects(fs.stat(path.join(dir, fileNameOf('del'))), { code: 'ENOENT' }, 'a late checkpoint does not bring it back');

    const restored = await store.restore(deleted);
    assert.equal(restored?.id, 'del');
    assert.deepEqual((await new ConversationStore({ dir }).load('del')).conversation, saved);
    assert.deepEqual((await store.list()).conversations.map((x) => x.id).sort(), ['del', 'keep']);
    assert.equal(await store.delete('never-was'), undefined);
  });

  it('deleting a conversation while it is being written leaves no file behind', async () => {
    const dir = await freshDir();
    const store = new ConversationStore({ dir, checkpointIntervalMs: 0 });
    const c = conversation('racing', { streaming: true });
    for (let i = 0; i < 20; i++) {
      c.messages.at(-1)!.text += ` ${i}`;
      store.checkpoint(c);
    }
    const deleted = await store.delete('racing');
    assert.ok(deleted?.conversation.messages.at(-1)?.text.endsWith(' 19'), 'undo gets the live state');
    await store.idle();
    assert.deepEqual(
      (await visibleFiles(dir)).filter((f) => f.startsWith('conversation-')),
      [],
    );
  });

  it('reports usage in bytes, the oldest conversations, and prunes only what it is asked to', async () => {
    const dir = await freshDir();
    const clock = new FakeClock();
    const store = new ConversationStore({ dir, clock });
    for (const id of ['p1', 'p2', 'p3', 'p4']) {
      clock.advance(1000);
      await store.save(conversation(id, { n: 10 }));
    }
    const sizes = await Promise.all((await fs.readdir(dir)).map(async (f) => (await fs.stat(path.join(dir, f))).size));
    const usage = await store.usage();
    assert.equal(
      usage,
      sizes.reduce((a, b) => a + b, 0),
    );
    assert.deepEqual(
      (await store.oldest(2)).map((c) => c.id),
      ['p1', 'p2'],
    );
    assert.deepEqual((await store.list()).conversations.length, 4, 'oldest() deletes nothing');

    const { removed, freedBytes } = await store.prune(['p1', 'p2', 'missing']);
    assert.deepEqual(removed, ['p1', 'p2']);
    assert.ok(freedBytes > 0);
    assert.deepEqual(
      (await store.list()).conversations.map((c) => c.id),
      ['p4', 'p3'],
    );
    assert.ok((await store.usage()) < usage);
    assert.equal(await new ConversationStore({ dir: path.join(dir, 'nothing-here') }).usage(), 0);
  });

  it('reports a folder it cannot use as a problem instead of throwing', async () => {
    const file = path.join(await freshDir(), 'a-file');
    await fs.writeFile(file, 'not a directory');
    const { conversations, problems } = await new ConversationStore({ dir: file }).list();
    assert.deepEqual(conversations, []);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].kind, 'unreadable');
  });

  it('dispose writes pending checkpoints and the index', async () => {
    const dir = await freshDir();
    const clock = new FakeClock();
    const store = new ConversationStore({ dir, clock });
    const c = conversation('bye', { streaming: true });
    store.checkpoint(c);
    c.messages.at(-1)!.text += ' and the rest';
    store.checkpoint(c);
    await store.dispose();
    const { conversation: onDisk } = await new ConversationStore({ dir }).load('bye');
    assert.equal(onDisk?.messages.at(-1)?.text, 'Partial ans and the rest');
    assert.equal(JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8')).conversations[0].id, 'bye');
  });
});

describe('ConversationStore under SIGKILL', () => {
  let writer: string;
  before(async () => {
    // Bundled once, so each child starts in tens of ms rather than going through tsx.
    await fs.mkdir(root, { recursive: true });
    writer = path.join(root, 'checkpointWriter.mjs');
    await build({
      entryPoints: [path.join(__dirname, '../fakes/checkpointWriter.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: writer,
      logLevel: 'silent',
    });
  });

  it('always loads the conversation as of a checkpoint no older than the last one the writer reported', { timeout: 120_000 }, async (t) => {
    const ITERATIONS = 40;
    // mulberry32, seeded: the kill times are the same on every run.
    let seed = 20261123;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), seed | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const steps: number[] = [];
    let aheadOfReport = 0;
    let midWrite = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const dir = await freshDir();
      const child = spawn(process.execPath, [writer, dir, '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`writer not ready: ${err}`)), 10_000);
        const check = () => {
          if (out.includes('ready\n')) {
            clearTimeout(timer);
            resolve();
          } else setTimeout(check, 2);
        };
        check();
      });
      // Anywhere from mid-way through the next write to a few hundred steps later.
      await new Promise((r) => setTimeout(r, Math.floor(random() * 250)));
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      await new Promise((r) => setImmediate(r));
      const reported = [...out.matchAll(/^written (\d+)$/gm)].map((m) => Number(m[1]));
      const lastReported = reported.length ? Math.max(...reported) : -1;
      assert.equal(err, '', `iteration ${i}: the writer logged nothing`);
      if ((await fs.readdir(dir)).some((f) => f.includes('.tmp-'))) midWrite++;

      const store = new ConversationStore({ dir });
      const { conversations, problems } = await store.list();
      assert.deepEqual(problems, [], `iteration ${i}: no damaged file`);
      assert.equal(conversations.length, 1, `iteration ${i}`);
      const { conversation: loaded, problems: loadProblems } = await store.load(GROWING_ID);
      assert.deepEqual(loadProblems, []);
      assert.ok(loaded, `iteration ${i}: loads`);
      const step = stepOf(loaded);
      assert.ok(step >= lastReported, `iteration ${i}: step ${step} is not older than the last reported checkpoint ${lastReported}`);
      // Exactly the state of that step, with the streaming answer marked interrupted and the running tool call cancelled.
      const expected = interruptedAt(step);
      assert.deepEqual({ ...loaded, updatedAt: 0 }, { ...expected, updatedAt: 0 }, `iteration ${i}: step ${step}`);
      assert.equal(conversations[0].messageCount, loaded.messages.length, `iteration ${i}: the index agrees`);
      // Nothing left over: no temp file, nothing corrupt kept aside (none was reported).
      assert.deepEqual(await visibleFiles(dir), [fileNameOf(GROWING_ID), 'index.json'], `iteration ${i}`);
      steps.push(step);
      if (step > lastReported) aheadOfReport++;
    }
    t.diagnostic(
      `killed at steps ${steps.join(' ')}; ${aheadOfReport} kills landed between a write and its report, ${midWrite} in the middle of a write (a temp file was left)`,
    );
    // The kills landed while the writer was busy, not all before its first checkpoint.
    assert.ok(steps.filter((s) => s > 0).length >= ITERATIONS / 2, `steps: ${steps}`);
  });
});
