/**
 * A command the user approved, run as a child process in its own process group (the pseudoterminal's
 * fallback when the shell has no VS Code shell integration): output streamed to the terminal and
 * collected under a cap, the whole group killed on Stop or at the time limit, so `npm test` and what it
 * started end together.
 */
import { spawn } from 'node:child_process';
import { HeadTailText } from './cappedText';

export interface CommandRun {
  command: string;
  cwd: string;
  signal: AbortSignal;
  timeoutMs: number;
  /** Each chunk as it comes, for the terminal. */
  onOutput?(text: string): void;
  headBytes?: number;
  tailBytes?: number;
  /** Default: the user's shell on POSIX ($SHELL, else /bin/sh), cmd.exe on Windows (Node's `shell: true`). */
  shell?: string;
}

export interface CommandResult {
  exitCode: number | null;
  /** What ended it other than exiting by itself. */
  ended?: 'stopped' | 'timeout';
  output: string;
  truncated: boolean;
  /** All the output, in bytes, of which `output` kept the beginning and the end. */
  totalBytes: number;
}

/** After a polite SIGTERM, this long before SIGKILL. */
const KILL_GRACE_MS = 2000;

export function runCommandProcess(run: CommandRun): Promise<CommandResult> {
  const out = new HeadTailText(run.headBytes ?? 16 * 1024, run.tailBytes ?? 32 * 1024);
  return new Promise((resolve) => {
    if (run.signal.aborted) return resolve({ exitCode: null, ended: 'stopped', output: '', truncated: false, totalBytes: 0 });
    const posix = process.platform !== 'win32';
    const child = spawn(run.command, {
      cwd: run.cwd,
      shell: run.shell ?? (posix ? process.env.SHELL || '/bin/sh' : true),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: posix,
      windowsHide: true,
    });
    let ended: CommandResult['ended'];
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const kill = (why: 'stopped' | 'timeout') => {
      if (ended || child.exitCode !== null) return;
      ended = why;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
    };
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (posix && child.pid) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // Already gone.
      }
    };
    const onAbort = () => kill('stopped');
    run.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => kill('timeout'), run.timeoutMs);
    const take = (chunk: string) => {
      out.push(chunk);
      run.onOutput?.(chunk);
    };
    child.stdout.setEncoding('utf8').on('data', take);
    child.stderr.setEncoding('utf8').on('data', take);
    const finish = (exitCode: number | null) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      run.signal.removeEventListener('abort', onAbort);
      resolve({ exitCode, ...(ended ? { ended } : {}), output: out.text(), truncated: out.truncated, totalBytes: out.totalBytes });
    };
    child.on('error', (err) => {
      take(`${err.message}\n`);
      finish(null);
    });
    // A background child of the shell would hold the pipes open (and 'close' back) forever: the group ends with the shell.
    child.on('exit', () => signalGroup('SIGKILL'));
    child.on('close', (code) => finish(code));
  });
}
