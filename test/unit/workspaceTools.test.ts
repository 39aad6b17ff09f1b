import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { workspaceToolSettingValues } from '../../src/extension/settings/settingOwnership';
import { CappedText, HeadTailText, stripAnsi } from '../../src/tools/workspace/cappedText';
import { offeredTools } from '../../src/tools/workspace/enabledTools';
import { sliceLines } from '../../src/tools/workspace/lineRange';
import { checkArgs } from '../../src/tools/workspace/toolArgs';
import { resolveWorkspacePath } from '../../src/tools/workspace/workspacePaths';
import { WORKSPACE_TOOLS, workspaceToolDef } from '../../src/tools/workspace/workspaceToolDefs';
import { WorkspaceToolSupport, type WorkspaceToolHandler } from '../../src/tools/workspace/workspaceToolSupport';
import { ToolSources } from '../../src/tools/toolSources';
import type { ToolDescriptor, ToolSupport } from '../../src/tools/toolSupport';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-tools-'));
  dirs.push(dir);
  return dir;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('checkArgs', () => {
  const def = (name: string) => workspaceToolDef(name)!;

  it('accepts what the schema declares and fills defaults', () => {
    assert.deepEqual(checkArgs(def('read_file'), { path: 'a.ts', startLine: 3 }), { ok: true, args: { path: 'a.ts', startLine: 3 } });
    assert.deepEqual(checkArgs(def('list_files'), {}), { ok: true, args: { path: '.' } });
  });

  it('reads whole numbers and booleans that models send as strings', () => {
    assert.deepEqual(checkArgs(def('search_text'), { query: 'x', maxResults: '20', fixed: 'true' }), {
      ok: true,
      args: { query: 'x', maxResults: 20, fixed: true },
    });
  });

  it('refuses missing, mistyped, unknown, out-of-range and oversized arguments, saying which', () => {
    const error = (name: string, args: Record<string, unknown>) => {
      const r = checkArgs(def(name), args);
      assert.equal(r.ok, false);
      return (r as { error: string }).error;
    };
    assert.match(error('read_file', {}), /"path" is required/);
    assert.match(error('read_file', { path: 3 }), /"path" must be a string/);
    assert.match(error('read_file', { path: 'a', startLine: 1.5 }), /whole number/);
    assert.match(error('read_file', { path: 'a', startLine: 0 }), /at least 1/);
    assert.match(error('read_file', { path: 'a', mode: 'w' }), /unknown argument "mode"/);
    assert.match(error('search_text', { query: 'x', maxResults: 501 }), /at most 500/);
    assert.match(error('run_command', { command: 'x'.repeat(4001) }), /longer than 4000/);
    assert.match(error('read_file', { path: 'a\0b' }), /NUL/);
    // File content may be long, up to its own cap.
    assert.equal(checkArgs(def('propose_edit'), { path: 'a', content: 'x'.repeat(100_000) }).ok, true);
    assert.match(error('propose_edit', { path: 'a', content: 'x'.repeat(1024 * 1024 + 1) }), /longer than/);
  });
});

describe('resolveWorkspacePath', () => {
  const root = tempDir();
  const ws = join(root, 'ws');
  const outside = join(root, 'secrets');
  mkdirSync(join(ws, 'src'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(ws, 'src', 'a.ts'), 'a');
  writeFileSync(join(outside, 'id_rsa'), 'KEY');
  // A repository can ship links that lead out of it: a folder link and a file link.
  symlinkSync(outside, join(ws, 'notes'));
  symlinkSync(join(outside, 'id_rsa'), join(ws, 'README.md'));
  symlinkSync(join(ws, 'src', 'a.ts'), join(ws, 'alias.ts'));
  const folders = [{ name: 'ws', path: ws }];

  it('resolves a relative path inside the folder', async () => {
    assert.deepEqual(await resolveWorkspacePath('src/a.ts', folders), {
      ok: true,
      absolute: join(ws, 'src', 'a.ts'),
      folder: folders[0],
      relative: 'src/a.ts',
    });
    assert.equal(((await resolveWorkspacePath('.', folders)) as { relative: string }).relative, '.');
    assert.equal(((await resolveWorkspacePath(join(ws, 'src'), folders)) as { relative: string }).relative, 'src');
  });

  it('refuses paths that climb out or are absolute elsewhere', async () => {
    for (const p of ['../secrets/id_rsa', 'src/../../secrets/id_rsa', join(outside, 'id_rsa'), '/etc/passwd']) {
      const r = await resolveWorkspacePath(p, folders);
      assert.equal(r.ok, false, p);
      assert.match((r as { error: string }).error, /outside the workspace/);
    }
  });

  it('refuses a hostile symlink out of the workspace, to a folder or to a file, and a path under it', async () => {
    for (const p of ['notes', 'notes/id_rsa', 'README.md', 'notes/new-file.txt']) {
      const r = await resolveWorkspacePath(p, folders);
      assert.equal(r.ok, false, p);
      assert.match((r as { error: string }).error, /symbolic link/, p);
    }
  });

  it('follows a link that stays inside', async () => {
    assert.equal((await resolveWorkspacePath('alias.ts', folders)).ok, true);
  });

  it('picks a folder of a multi-root workspace by its name, and says when none is open', async () => {
    const other = join(root, 'other');
    mkdirSync(other);
    const two = [...folders, { name: 'other', path: other }];
    const r = await resolveWorkspacePath('other/x.ts', two);
    assert.equal(r.ok && r.absolute, join(other, 'x.ts'));
    assert.match(((await resolveWorkspacePath('a', [])) as { error: string }).error, /No folder/);
  });
});

describe('sliceLines', () => {
  const text = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

  it('numbers the lines of a range and says where it is in the file', () => {
    const r = sliceLines(text, { startLine: 10, endLine: 12, maxBytes: 10_000 });
    assert.equal(r.text, '10: line 10\n11: line 11\n12: line 12\n[Lines 10-12 of 100.]');
    assert.equal(r.totalLines, 100);
  });

  it('stops at the byte cap and says where to continue', () => {
    const r = sliceLines(text, { maxBytes: 100 });
    assert.ok(r.cut);
    assert.ok(Buffer.byteLength(r.text.split('[')[0]) <= 100);
    assert.match(r.text, new RegExp(`startLine ${r.to + 1} for more`));
  });

  it('answers a start past the end without text, and notes a file read only in part', () => {
    assert.match(sliceLines(text, { startLine: 500, maxBytes: 100 }).text, /has 100 lines; nothing from line 500/);
    assert.match(sliceLines('a\nb', { maxBytes: 100, fileTruncated: true }).text, /only its beginning was read/);
  });
});

describe('capped text', () => {
  it('keeps the first bytes up to the cap, without a broken character, and counts the rest', () => {
    const c = new CappedText(10);
    assert.equal(c.push('12345678'), true);
    assert.equal(c.push('éé'), false);
    assert.equal(c.text(), '12345678é');
    assert.equal(c.truncated, true);
    assert.equal(c.totalBytes, 12);
  });

  it('keeps the head and the tail of long output with a note on what was left out', () => {
    const t = new HeadTailText(10, 10);
    for (let i = 0; i < 1000; i++) t.push(`${String(i).padStart(4, '0')}\n`);
    const text = t.text();
    assert.ok(text.startsWith('0000\n0001\n'));
    assert.ok(text.endsWith('0998\n0999\n'));
    assert.match(text, /\[… 4980 bytes of output left out …\]/);
    assert.equal(t.totalBytes, 5000);
    const short = new HeadTailText(10, 10);
    short.push('hello\nworld\n');
    assert.equal(short.text(), 'hello\nworld\n');
    assert.equal(short.truncated, false);
  });

  it('strips terminal colour and shell-integration escapes', () => {
    assert.equal(stripAnsi('\x1b]633;C\x07\x1b[31mred\x1b[0m\r\nok\rdone'), 'red\r\nokdone');
  });
});

describe('which workspace tools are offered', () => {
  const names = (values: unknown[], trusted = true) => offeredTools(WORKSPACE_TOOLS, { values, trusted }).map((t) => t.name);
  const all = WORKSPACE_TOOLS.map((t) => t.name);

  it('offers all by default, and only read-only ones in Restricted Mode', () => {
    assert.deepEqual(names([{}]), all);
    assert.deepEqual(names([{}], false), ['read_file', 'list_files', 'find_files', 'search_text', 'get_problems']);
  });

  it('an object turns single tools off, an array names the ones that are on', () => {
    assert.deepEqual(
      names([{ run_command: false, read_file: true }]),
      all.filter((n) => n !== 'run_command'),
    );
    assert.deepEqual(names([['read_file', 'run_command']]), ['read_file', 'run_command']);
  });

  it("a workspace's value can turn tools off but never on", () => {
    const values = workspaceToolSettingValues({
      defaultValue: {},
      globalValue: { run_command: false },
      workspaceValue: ['run_command', 'read_file'],
      workspaceFolderValue: { propose_edit: true },
    });
    assert.deepEqual(names(values), ['read_file']);
    // Restricted Mode wins over every setting.
    assert.deepEqual(names(workspaceToolSettingValues({ defaultValue: {}, globalValue: ['run_command', 'read_file'] }), false), [
      'read_file',
    ]);
  });
});

describe('WorkspaceToolSupport', () => {
  const make = (over: { approval?: string; trusted?: boolean; enabled?: unknown; allowed?: string[] } = {}) => {
    const calls: Array<[string, Record<string, unknown>]> = [];
    const remembered: string[] = [];
    const handler =
      (name: string): WorkspaceToolHandler =>
      async (args, { signal }) => {
        calls.push([name, args]);
        if (name === 'run_command') await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return { text: `${name} ran` };
      };
    const support = new WorkspaceToolSupport({
      handlers: Object.fromEntries(WORKSPACE_TOOLS.map((t) => [t.name, handler(t.name)])) as never,
      approval: () => over.approval ?? 'ask',
      trusted: () => over.trusted ?? true,
      enabledValues: () => [over.enabled ?? {}],
      alwaysAllowed: () => new Set(over.allowed ?? []),
      rememberAlwaysAllowed: (n) => remembered.push(n),
    });
    return { support, calls, remembered };
  };
  const desc = (name: string): ToolDescriptor => ({ name, inputSchema: {} });
  const opts = (signal = new AbortController().signal) => ({ signal, cancel() {}, onProgress() {} });

  it('lists its tools with the read-only hint and marks run_command as always asking', async () => {
    const tools = await make().support.list();
    assert.deepEqual(
      tools.map((t) => [t.name, t.readOnly, t.alwaysAsks ?? false, t.server]),
      WORKSPACE_TOOLS.map((t) => [t.name, t.readOnly, t.name === 'run_command', 'workspace']),
    );
  });

  it('asks per the approval setting, except run_command, which asks even in "always" and cannot be always-allowed', () => {
    const readOnly = make({ approval: 'readOnly' }).support;
    assert.equal(readOnly.needsApproval(desc('search_text')), false);
    assert.equal(readOnly.needsApproval(desc('propose_edit')), true);
    const always = make({ approval: 'always', allowed: ['run_command'] });
    assert.equal(always.support.needsApproval(desc('read_file')), false);
    assert.equal(always.support.needsApproval(desc('run_command')), true);
    always.support.alwaysAllow(desc('run_command'));
    always.support.alwaysAllow(desc('propose_edit'));
    assert.deepEqual(always.remembered, ['propose_edit']);
    assert.equal(make({ approval: 'ask', allowed: ['propose_edit'] }).support.needsApproval(desc('propose_edit')), false);
    assert.equal(make({ approval: 'bogus' }).support.needsApproval(desc('read_file')), true);
  });

  it('never runs a handler with invalid arguments, a turned-off tool, or a write tool in Restricted Mode', async () => {
    const { support, calls } = make({ enabled: { get_problems: false } });
    const bad = await support.run({ name: 'read_file', arguments: { path: 1 } }, opts());
    assert.deepEqual([bad.outcome, bad.content], ['failed', 'Invalid arguments for read_file: "path" must be a string.']);
    assert.match((await support.run({ name: 'read_file', arguments: '{oops' }, opts())).content, /not a JSON object/);
    assert.match((await support.run({ name: 'get_problems', arguments: {} }, opts())).content, /turned off/);
    const restricted = make({ trusted: false });
    assert.match(
      (await restricted.support.run({ name: 'propose_edit', arguments: { path: 'a', content: '' } }, opts())).content,
      /turned off or not available/,
    );
    assert.deepEqual(calls, []);
    assert.deepEqual(restricted.calls, []);
    const ok = await support.run({ name: 'read_file', arguments: { path: 'a' } }, opts());
    assert.deepEqual([ok.outcome, ok.content], ['done', 'read_file ran']);
  });

  it('reports a stopped call as cancelled', async () => {
    const { support } = make();
    const stop = new AbortController();
    const running = support.run({ name: 'run_command', arguments: { command: 'sleep 100' } }, opts(stop.signal));
    stop.abort();
    assert.equal((await running).outcome, 'cancelled');
  });
});

describe('ToolSources', () => {
  const source = (server: string, names: string[], ran: string[]): ToolSupport => ({
    list: async () => names.map((name) => ({ name, inputSchema: {}, server })),
    needsApproval: (t) => t.name !== 'read_file' || server !== 'workspace',
    alwaysAllow: () => {},
    run: async (call) => {
      ran.push(`${server}:${call.name}`);
      return { outcome: 'done', content: '', durationMs: 0 };
    },
  });

  it('keeps the built-in names and prefixes a clashing MCP tool, routing each call to its own source by its own name', async () => {
    const ran: string[] = [];
    const sources = new ToolSources([
      source('workspace', ['read_file', 'search_text'], ran),
      source('fs', ['read_file', 'write_file'], ran),
    ]);
    const listed = await sources.list(new AbortController().signal);
    assert.deepEqual(
      listed.map((t) => t.name),
      ['read_file', 'search_text', 'fs_read_file', 'write_file'],
    );
    const o = { signal: new AbortController().signal, cancel() {}, onProgress() {} };
    await sources.run({ name: 'fs_read_file', arguments: {} }, o);
    await sources.run({ name: 'read_file', arguments: {} }, o);
    await sources.run({ name: 'write_file', arguments: {} }, o);
    assert.deepEqual(ran, ['fs:read_file', 'workspace:read_file', 'fs:write_file']);
    assert.equal(sources.needsApproval(listed[0]), false);
    assert.equal(sources.needsApproval(listed[2]), true);
  });

  it('a failing source does not take the other tools away', async () => {
    const broken: ToolSupport = { ...source('x', [], []), list: async () => Promise.reject(new Error('bad config')) };
    const sources = new ToolSources([source('workspace', ['read_file'], []), broken]);
    assert.deepEqual(
      (await sources.list(new AbortController().signal)).map((t) => t.name),
      ['read_file'],
    );
  });
});
