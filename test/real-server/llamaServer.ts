/**
 * A real llama.cpp `llama-server` for tests, built by test/real-server/install.sh (cached between runs) and serving
 * the tiny random-weight model that make_tiny_gguf.py writes. Each server gets its own free port and log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { delay } from '../../src/shared/abort';
import { freePort } from '../fakes/ports';

export const LLAMA_HOME = process.env.MODEL_CHAT_LLAMA_HOME || join(homedir(), '.cache', 'model-chat-llama-server');
const BIN = join(LLAMA_HOME, 'llama.cpp', 'build', 'bin', 'llama-server');
const MODEL = join(LLAMA_HOME, 'tiny.gguf');

/** Why the server cannot run here, or undefined when it can. */
export function notInstalled(): string | undefined {
  const missing = [BIN, MODEL].filter((f) => !existsSync(f));
  if (missing.length === 0) return undefined;
  return `the real llama-server is not installed (missing ${missing.join(', ')}): run \`bash test/real-server/install.sh\` (about 6 minutes the first time; cached in ${LLAMA_HOME})`;
}

export interface StartOptions {
  /** Flags after the common ones (--host, --port, -c 4096, -t 1, --jinja, --no-webui). */
  args?: string[];
  /** Router mode: models chosen per request from a folder (here: only "tiny"), unknown ones refused. */
  router?: boolean;
}

export interface LlamaServer {
  /** The OpenAI-compatible base URL, /v1 included. */
  readonly url: string;
  /** The server's own root (/health, /tokenize, /apply-template). */
  readonly root: string;
  /** Everything the server has logged so far. */
  log(): string;
  /** Resolves when the log after offset `from` matches `pattern` (polled); rejects after `ms` with the log's tail. */
  waitForLog(pattern: RegExp, from?: number, ms?: number): Promise<RegExpMatchArray>;
  /** POSTs JSON to one of the server's own endpoints. */
  post(path: string, body: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startLlamaServer(opts: StartOptions = {}): Promise<LlamaServer> {
  const reason = notInstalled();
  if (reason) throw new Error(reason);
  const port = await freePort();
  const root = `http://127.0.0.1:${port}`;
  let modelsDir: string | undefined;
  let modelArgs: string[];
  if (opts.router) {
    modelsDir = mkdtempSync(join(tmpdir(), 'model-chat-llama-models-'));
    mkdirSync(modelsDir, { recursive: true });
    linkSync(MODEL, join(modelsDir, 'tiny.gguf'));
    modelArgs = ['--models-dir', modelsDir];
  } else {
    modelArgs = ['-m', MODEL, '--alias', 'tiny', '-np', '2'];
  }
  const args = ['--host', '127.0.0.1', '--port', String(port), ...modelArgs, '-c', '4096', '-t', '1', '--jinja', '--no-webui'];
  // Its own process group, so stop() also ends the model processes a router starts.
  const child = spawn(BIN, [...args, ...(opts.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (log += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (log += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tail = () => log.split('\n').slice(-30).join('\n');

  const server: LlamaServer = {
    url: `${root}/v1`,
    root,
    log: () => log,
    async waitForLog(pattern, from = 0, ms = 10_000) {
      const end = Date.now() + ms;
      for (;;) {
        const match = log.slice(from).match(pattern);
        if (match) return match;
        if (Date.now() > end) throw new Error(`llama-server never logged ${pattern} within ${ms} ms; its log ends:\n${tail()}`);
        await delay(10);
      }
    },
    async post(path, body) {
      const res = await fetch(`${root}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
      return res.json();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) kill(child);
      await exited;
      if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
    },
  };

  // Ready when /health answers 200 (the model is loaded by then); a server that exits is reported with its log.
  const end = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`llama-server exited (${child.exitCode ?? child.signalCode}) before it was ready; its log ends:\n${tail()}`);
    }
    const status = await fetch(`${root}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return server;
    if (Date.now() > end) {
      await server.stop();
      throw new Error(`llama-server did not answer /health within 60 s; its log ends:\n${tail()}`);
    }
    await delay(50);
  }
}

function kill(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
}

/**
 * The suite's guard: without an installed server it fails in CI (CI=true) and is skipped loudly elsewhere,
 * so a green run never hides that nothing talked to a real server. Returns whether the suite can run.
 */
export function realServerAvailable(it: (name: string, fn: () => void) => void): boolean {
  const reason = notInstalled();
  if (!reason) return true;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    it('has a real llama-server to test against', () => {
      throw new Error(`${reason}. In CI, .ci/run installs it before npm test.`);
    });
  } else {
    const bar = '!'.repeat(100);
    console.warn(`\n${bar}\nSKIPPING the real-server suite: ${reason}.\n${bar}\n`);
  }
  return false;
}
