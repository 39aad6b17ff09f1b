/**
 * Text search with the ripgrep binary VS Code ships (it honours .gitignore and is what VS Code's own search
 * runs): found under the editor's appRoot, spawned with an argument array (no shell), its JSON output read
 * line by line and cut at a match count and a byte cap, the process killed once enough came or on Stop.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CappedText } from './cappedText';

/** Where VS Code builds keep rg: `@vscode/ripgrep` (desktop), `@vscode/ripgrep-universal` (newer builds, code-server). */
export function ripgrepCandidates(appRoot: string, platform: string = process.platform, arch: string = process.arch): string[] {
  const exe = platform === 'win32' ? 'rg.exe' : 'rg';
  return ['node_modules.asar.unpacked', 'node_modules'].flatMap((modules) => [
    join(appRoot, modules, '@vscode', 'ripgrep', 'bin', exe),
    join(appRoot, modules, '@vscode', 'ripgrep-universal', 'bin', `${platform}-${arch}`, exe),
    join(appRoot, modules, 'vscode-ripgrep', 'bin', exe),
  ]);
}

export async function findRipgrep(appRoot: string): Promise<string | undefined> {
  for (const candidate of ripgrepCandidates(appRoot)) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

export interface SearchQuery {
  query: string;
  fixed?: boolean;
  caseSensitive?: boolean;
  glob?: string;
}

export interface SearchOptions {
  /** Globs never searched (files.exclude, search.exclude), as VS Code's settings write them. */
  exclude?: readonly string[];
  /** false: also search what .gitignore/.ignore list (search.useIgnoreFiles). */
  useIgnoreFiles?: boolean;
  maxResults: number;
  maxBytes: number;
  signal: AbortSignal;
  /** rg's own limit on its run. */
  timeoutMs?: number;
}

/** The argument array: options first, then `--` so a query starting with "-" is never read as an option. */
export function ripgrepArgs(q: SearchQuery, o: Pick<SearchOptions, 'exclude' | 'useIgnoreFiles'>): string[] {
  const args = ['--json', '--no-config', '--max-columns', '400', '--max-columns-preview', '--max-filesize', '2M'];
  args.push(q.caseSensitive === true ? '--case-sensitive' : q.caseSensitive === false ? '--ignore-case' : '--smart-case');
  if (q.fixed) args.push('--fixed-strings');
  args.push(...ignoreArgs(o.useIgnoreFiles));
  for (const glob of o.exclude ?? []) args.push('--glob', `!${glob}`);
  if (q.glob) args.push('--glob', q.glob);
  args.push('--', q.query, '.');
  return args;
}

/** rg reads .gitignore only inside a git repository unless told otherwise; a folder not (yet) in git has one too. */
function ignoreArgs(useIgnoreFiles: boolean | undefined): string[] {
  return useIgnoreFiles === false ? ['--no-ignore'] : ['--no-require-git'];
}

export interface SearchResult {
  text: string;
  matches: number;
  /** More matches existed than were returned (count or byte cap). */
  limited: boolean;
  /** rg's complaint (bad regex), when it had one. */
  error?: string;
}

interface RgText {
  text?: string;
  bytes?: string;
}

const decode = (t: RgText | undefined) => t?.text ?? (t?.bytes ? Buffer.from(t.bytes, 'base64').toString('utf8') : '');

export interface RipgrepRun {
  signal: AbortSignal;
  timeoutMs?: number;
}

/**
 * Runs rg and hands each stdout line to `onLine` until it returns false (then rg is killed: enough came).
 * Resolves with rg's exit code (null when killed or it could not start) and the start of its stderr.
 */
export async function runRipgrep(
  rgPath: string,
  cwd: string,
  args: readonly string[],
  run: RipgrepRun,
  onLine: (line: string) => boolean,
): Promise<{ code: number | null; stderr: string; stopped: boolean }> {
  run.signal.throwIfAborted();
  const child = spawn(rgPath, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: run.signal,
    timeout: run.timeoutMs ?? 30_000,
    windowsHide: true,
  });
  let stderr = '';
  let stopped = false;
  let startError: Error | undefined;
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(0, 2000)));
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => resolve(code));
    child.on('error', (err) => {
      startError ??= err;
      resolve(null);
    });
  });
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    if (stopped) continue;
    if (!onLine(line)) {
      stopped = true;
      child.kill();
    }
  }
  const code = await exited;
  run.signal.throwIfAborted();
  if (startError && !stopped && code === null) throw new Error(`ripgrep could not run: ${startError.message}`);
  return { code, stderr: stderr.trim(), stopped };
}

export async function searchText(rgPath: string, cwd: string, q: SearchQuery, o: SearchOptions): Promise<SearchResult> {
  const out = new CappedText(o.maxBytes);
  let matches = 0;
  let limited = false;
  const { code, stderr, stopped } = await runRipgrep(rgPath, cwd, ripgrepArgs(q, o), o, (line) => {
    let event: { type?: string; data?: { path?: RgText; lines?: RgText; line_number?: number } };
    try {
      event = JSON.parse(line);
    } catch {
      return true;
    }
    if (event.type !== 'match' || !event.data) return true;
    const text = decode(event.data.lines).replace(/\r?\n$/, '');
    const path = decode(event.data.path).replace(/^\.[\\/]/, '');
    if (matches >= o.maxResults || !out.push(`${path}:${event.data.line_number ?? '?'}: ${text}\n`)) {
      limited = true;
      return false;
    }
    matches++;
    return true;
  });
  // 0: matches, 1: none; 2: an error, possibly after some matches (an unreadable file).
  const error = code === 0 || code === 1 || stopped ? undefined : stderr || `ripgrep exited with ${code ?? 'a failure'}`;
  return { text: out.text(), matches, limited: limited || out.truncated, error };
}

export interface ListOptions extends RipgrepRun {
  /** Only paths matching this glob (find_files). */
  glob?: string;
  /** Under this folder, relative to cwd ("." for all). */
  under?: string;
  exclude?: readonly string[];
  useIgnoreFiles?: boolean;
}

/** The workspace's files as ripgrep walks them (.gitignore and the excludes applied), relative to cwd with "/". */
export async function listPaths(rgPath: string, cwd: string, o: ListOptions, onPath: (path: string) => boolean): Promise<void> {
  const args = ['--files', '--no-config', ...ignoreArgs(o.useIgnoreFiles)];
  for (const glob of o.exclude ?? []) args.push('--glob', `!${glob}`);
  if (o.glob) args.push('--glob', o.glob);
  args.push('--', o.under ?? '.');
  const { code, stderr, stopped } = await runRipgrep(rgPath, cwd, args, o, (line) => onPath(line.replace(/\\/g, '/').replace(/^\.\//, '')));
  // Exit 1 is "no files"; 2 with output is a partly unreadable tree, still a useful answer.
  if (!stopped && code !== 0 && code !== 1 && code !== 2) throw new Error(stderr || `ripgrep exited with ${code ?? 'a failure'}`);
}
