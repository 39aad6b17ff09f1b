/**
 * FileMemento: the chat tabs' memory kept on the extension host's disk, so a browser reload that drops the
 * workbench's latest state does not take it along.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FileMemento } from '../../src/extension/view/fileMemento';

describe('FileMemento', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mc-memento-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is on disk as soon as update resolves, in a folder made for it; a new instance reads it back', async () => {
    const file = join(dir, 'workspace-storage', 'editor-chats.json');
    const memory = new FileMemento(file);
    assert.equal(memory.get('tabs'), undefined);
    await memory.update('tabs', ['a', 'b']);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { tabs: ['a', 'b'] });
    assert.deepEqual(memory.get('tabs'), ['a', 'b']);
    assert.deepEqual(new FileMemento(file).get('tabs'), ['a', 'b']);
  });

  it('writes in order: after quick updates the file holds the last value, and no temp file is left', async () => {
    const file = join(dir, 'editor-chats.json');
    const memory = new FileMemento(file);
    const writes = ['one', 'two', 'three', 'four'].map((id, i, all) => memory.update('tabs', all.slice(0, i + 1)));
    assert.deepEqual(memory.get('tabs'), ['one', 'two', 'three', 'four'], 'read at once, before any write ends');
    await Promise.all(writes);
    assert.deepEqual(new FileMemento(file).get('tabs'), ['one', 'two', 'three', 'four']);
    assert.deepEqual(readdirSync(dir), ['editor-chats.json']);
  });

  const old = new Map<string, unknown>([['tabs', ['from-workspace-state']]]);
  const fallback = { get: <T>(key: string) => old.get(key) as T | undefined };

  it('reads from the memento it took over from while it has no file; once it writes, only its own values', async () => {
    const file = join(dir, 'm.json');
    const memory = new FileMemento(file, undefined, fallback);
    assert.deepEqual(memory.get('tabs'), ['from-workspace-state']);
    await memory.update('tabs', []);
    assert.deepEqual(memory.get('tabs'), [], 'its own value wins, even an empty one');
    await memory.update('tabs', undefined);
    assert.equal(memory.get('tabs'), undefined, 'undefined removes the key; the old memento does not come back');
    assert.deepEqual(memory.get('tabs', ['default']), ['default']);
    const next = new FileMemento(file, undefined, fallback);
    assert.equal(next.get('tabs'), undefined, 'nor in the next window: the file exists');
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {});
  });

  it('a damaged file is an empty memory even with an older memento to read from', () => {
    const file = join(dir, 'm.json');
    writeFileSync(file, '{"tabs": [');
    assert.equal(new FileMemento(file, undefined, fallback).get('tabs'), undefined);
  });

  it('flush settles once the writes asked for have ended, a failed one too', async () => {
    const file = join(dir, 'deep', 'm.json');
    const memory = new FileMemento(file);
    void memory.update('tabs', ['a']);
    void memory.update('tabs', ['b']);
    await memory.flush();
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { tabs: ['b'] });
    const blocked = new FileMemento(join(file, 'under-a-file.json'));
    blocked.update('tabs', ['c']).catch(() => undefined);
    await blocked.flush();
  });

  it('a damaged, foreign or oversized file is an empty memory, said once, and is replaced by the next write', async () => {
    const cases: Array<[string, string | Buffer]> = [
      ['not JSON', '{"tabs": ['],
      ['an array', '["a"]'],
      ['too large', Buffer.alloc(100 * 1024, 0x20)],
    ];
    for (const [what, content] of cases) {
      const file = join(dir, `${what}.json`);
      writeFileSync(file, content);
      const said: string[] = [];
      const memory = new FileMemento(file, (m) => said.push(m));
      assert.equal(memory.get('tabs'), undefined, what);
      assert.equal(said.length, 1, `${what}: ${said.join(' | ')}`);
      assert.ok(said[0].includes(file), said[0]);
      await memory.update('tabs', ['x']);
      assert.deepEqual(new FileMemento(file).get('tabs'), ['x'], what);
    }
  });

  it('a write that cannot happen rejects, and the next one still runs', async () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'a file where the folder should be');
    const memory = new FileMemento(join(blocker, 'editor-chats.json'));
    await assert.rejects(memory.update('tabs', ['a']));
    rmSync(blocker);
    await memory.update('tabs', ['b']);
    assert.ok(existsSync(join(blocker, 'editor-chats.json')));
    assert.deepEqual(new FileMemento(join(blocker, 'editor-chats.json')).get('tabs'), ['b']);
  });
});
