/**
 * The workspace tools' processes, for real: the ripgrep that code-server ships (found the way the extension
 * finds it, under the editor's appRoot) and shell commands in their own process group.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommandProcess } from '../../src/tools/workspace/commandProcess';
import { findRipgrep, listPaths, ripgrepArgs, ripgrepCandidates, searchText } from '../../src/tools/workspace/ripgrep';

const APP_ROOT = process.env.VSCODE_APP_ROOT ?? join(homedir(), '.cache', 'model-chat-e2e', 'node_modules', 'code-server', 'lib', 'vscode');
const ws = mkdtempSync(join(tmpdir(), 'ws-rg-'));
after(() => rmSync(ws, { recursive: true, force: true }));

describe('ripgrep', { skip: existsSync(APP_ROOT) ? false : `no code-server at ${APP_ROOT} (test/e2e/setup-code-server.sh)` }, () => {
  let rg: string;
  before(async () => {
    rg = (await findRipgrep(APP_ROOT))!;
    mkdirSync(join(ws, 'src'));
    mkdirSync(join(ws, 'build'));
    mkdirSync(join(ws, 'generated'));
    writeFileSync(join(ws, '.gitignore'), 'build/\n');
    // Not a git repository: .gitignore still counts.
    writeFileSync(join(ws, 'src', 'app.ts'), 'export const needle = 1;\nconst other = "-e needle";\n');
    writeFileSync(join(ws, 'src', 'util.ts'), Array.from({ length: 50 }, (_, i) => `needle ${i}`).join('\n'));
    writeFileSync(join(ws, 'build', 'out.js'), 'needle in build\n');
    writeFileSync(join(ws, 'generated', 'gen.ts'), 'needle generated\n');
  });
  const run = () => ({ signal: new AbortController().signal });

  it('is found under the appRoot where this VS Code build keeps it', async () => {
    assert.ok(rg, `not found among ${ripgrepCandidates(APP_ROOT).join(', ')}`);
    assert.ok(ripgrepCandidates(APP_ROOT).includes(rg));
    assert.deepEqual(ripgrepCandidates('/app', 'win32', 'x64').slice(0, 2), [
      join('/app', 'node_modules.asar.unpacked', '@vscode', 'ripgrep', 'bin', 'rg.exe'),
      join('/app', 'node_modules.asar.unpacked', '@vscode', 'ripgrep-universal', 'bin', 'win32-x64', 'rg.exe'),
    ]);
  });

  it('puts the query after "--", so a query that looks like an option is searched for', async () => {
    const args = ripgrepArgs({ query: '--pre=sh' }, {});
    assert.deepEqual(args.slice(-3), ['--', '--pre=sh', '.']);
    const r = await searchText(rg, ws, { query: '-e needle', fixed: true }, { ...run(), maxResults: 10, maxBytes: 10_000 });
    assert.deepEqual([r.matches, r.text], [1, 'src/app.ts:2: const other = "-e needle";\n']);
  });

  it('honours .gitignore and the exclude globs, and stops at the match cap', async () => {
    const r = await searchText(rg, ws, { query: 'needle' }, { ...run(), exclude: ['**/generated'], maxResults: 10, maxBytes: 100_000 });
    assert.equal(r.matches, 10);
    assert.equal(r.limited, true);
    assert.doesNotMatch(r.text, /build|generated/);
    const all = await searchText(rg, ws, { query: 'needle in build|generated' }, { ...run(), maxResults: 100, maxBytes: 100_000 });
    assert.deepEqual([all.matches, all.text], [1, 'generated/gen.ts:1: needle generated\n']);
  });

  it('stops at the byte cap', async () => {
    const r = await searchText(rg, ws, { query: 'needle', glob: 'src/util.ts' }, { ...run(), maxResults: 500, maxBytes: 100 });
    assert.ok(Buffer.byteLength(r.text) <= 100, r.text);
    assert.equal(r.limited, true);
  });

  it('reports a bad regular expression', async () => {
    const r = await searchText(rg, ws, { query: '(' }, { ...run(), maxResults: 10, maxBytes: 1000 });
    assert.match(r.error ?? '', /regex/i);
  });

  it('lists files with a glob, ignored ones left out', async () => {
    const paths: string[] = [];
    await listPaths(rg, ws, { ...run(), glob: '**/*.ts' }, (p) => (paths.push(p), true));
    assert.deepEqual(paths.sort(), ['generated/gen.ts', 'src/app.ts', 'src/util.ts']);
    const under: string[] = [];
    await listPaths(rg, ws, { ...run(), under: 'src' }, (p) => (under.push(p), true));
    assert.deepEqual(under.sort(), ['src/app.ts', 'src/util.ts']);
  });

  it('rejects at once when stopped', async () => {
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(searchText(rg, ws, { query: 'x' }, { signal: stop.signal, maxResults: 1, maxBytes: 1 }), { name: 'AbortError' });
  });
});

describe('runCommandProcess', { skip: process.platform === 'win32' && 'POSIX shell commands' }, () => {
  const base = { cwd: ws, signal: new AbortController().signal, timeoutMs: 20_000, shell: '/bin/sh' };

  it('captures stdout and stderr and the exit code', async () => {
    const seen: string[] = [];
    const r = await runCommandProcess({ ...base, command: 'echo out; echo err >&2; exit 3', onOutput: (t) => seen.push(t) });
    assert.equal(r.exitCode, 3);
    assert.match(r.output, /out\n/);
    assert.match(r.output, /err\n/);
    assert.equal(seen.join(''), r.output);
    assert.equal(r.ended, undefined);
  });

  it('keeps the head and the tail of a flood of output', async () => {
    const r = await runCommandProcess({ ...base, command: 'seq 1 100000', headBytes: 100, tailBytes: 100 });
    assert.equal(r.exitCode, 0);
    assert.ok(r.output.startsWith('1\n2\n3\n'));
    assert.ok(r.output.endsWith('99999\n100000\n'));
    assert.ok(r.truncated);
    assert.equal(r.totalBytes, 588895);
    assert.ok(Buffer.byteLength(r.output) < 300);
  });

  it('Stop ends the command and what it started, whole process group', async () => {
    const stop = new AbortController();
    const marker = join(ws, 'child.pid');
    const started = performance.now();
    const running = runCommandProcess({
      ...base,
      signal: stop.signal,
      // A grandchild that would outlive a plain kill of the shell.
      command: `sleep 60 & echo $! > ${marker}; echo ready; wait`,
      onOutput: (t) => t.includes('ready') && stop.abort(),
    });
    const r = await running;
    assert.equal(r.ended, 'stopped');
    assert.ok(performance.now() - started < 10_000);
    const pid = Number(execFileSync('cat', [marker], { encoding: 'utf8' }).trim());
    // The grandchild is gone once the group was killed: no process, or a zombie (a container's PID 1 may not reap it).
    const alive = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 200 && alive(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(alive(), false);
  });

  it('stops a command at its time limit', async () => {
    const r = await runCommandProcess({ ...base, command: 'sleep 30', timeoutMs: 300 });
    assert.equal(r.ended, 'timeout');
  });
});
