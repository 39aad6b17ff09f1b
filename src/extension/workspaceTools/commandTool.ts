/**
 * run_command: an approved command runs in a VS Code terminal the user can watch. With shell integration
 * the command runs in the user's own shell and its output comes back through `execution.read()`; without
 * it (no supported shell, integration off or slow to start) a pseudoterminal shows a child process that
 * runs the command. Either way the output is capped and Stop ends the command.
 */
import * as vscode from 'vscode';
import { delay } from '../../shared/abort';
import type { Logger } from '../../shared/log';
import { HeadTailText, stripAnsi } from '../../tools/workspace/cappedText';
import { runCommandProcess } from '../../tools/workspace/commandProcess';
import type { WorkspaceToolHandler, WorkspaceToolOutput } from '../../tools/workspace/workspaceToolSupport';
import { localFolders } from './workspaceFolders';

const DEFAULT_TIMEOUT_S = 120;
/** Shell integration usually reports within a second; past this the pseudoterminal runs the command. */
const SHELL_INTEGRATION_WAIT_MS = 4000;
/** After Ctrl+C, this long before the terminal (and its shell) is closed. */
const INTERRUPT_GRACE_MS = 1500;
const HEAD_BYTES = 16 * 1024;
const MAX_HELD_CHARS = 256 * 1024;
const TAIL_BYTES = 32 * 1024;

interface Outcome {
  exitCode: number | undefined | null;
  ended?: 'stopped' | 'timeout';
  output: string;
  truncated: boolean;
  totalBytes: number;
}

export function runCommand(log: Logger): WorkspaceToolHandler {
  // Once the shell has not reported its integration in time, the next commands do not wait for it again.
  let noShellIntegration = false;
  return async (args, { signal, onProgress }) => {
    const folder = localFolders()[0];
    if (!folder) return { outcome: 'toolError', text: 'No folder is open in VS Code.' };
    const command = String(args.command);
    const timeoutMs = ((args.timeoutSeconds as number | undefined) ?? DEFAULT_TIMEOUT_S) * 1000;
    const name = `Model Chat: ${command.length > 40 ? `${command.slice(0, 39)}…` : command}`;
    onProgress(0, undefined, `$ ${command.slice(0, 200)}`);
    const viaShell = noShellIntegration ? undefined : await inShell(name, folder.path, command, timeoutMs, signal, log);
    noShellIntegration ||= viaShell === undefined;
    const result = viaShell ?? (await inPseudoterminal(name, folder.path, command, timeoutMs, signal));
    return describe(command, result);
  };
}

function describe(command: string, r: Outcome): WorkspaceToolOutput {
  const output = r.output.trimEnd();
  const status =
    r.ended === 'timeout'
      ? '[The command ran too long and was stopped.]'
      : r.ended === 'stopped'
        ? '[Stopped by the user.]'
        : r.exitCode === undefined || r.exitCode === null
          ? '[Finished; the exit code is unknown.]'
          : `[Exit code ${r.exitCode}]`;
  const text = `$ ${command}\n${output}${output ? '\n' : ''}${status}`;
  const outcome = r.ended === 'timeout' ? 'timeout' : r.exitCode ? 'toolError' : 'done';
  const truncated = r.truncated ? { truncated: { originalBytes: r.totalBytes, keptBytes: Buffer.byteLength(output) } } : {};
  return { text, outcome, ...truncated };
}

/** The user's shell with shell integration, or undefined when it does not report in time (the terminal is closed then). */
async function inShell(
  name: string,
  cwd: string,
  command: string,
  timeoutMs: number,
  signal: AbortSignal,
  log: Logger,
): Promise<Outcome | undefined> {
  const terminal = vscode.window.createTerminal({ name, cwd, isTransient: true });
  terminal.show(true);
  const integration = terminal.shellIntegration ?? (await shellIntegrationOf(terminal, signal));
  if (!integration) {
    terminal.dispose();
    if (!signal.aborted) log.info('run_command: no shell integration in time; running the command in a pseudoterminal.');
    return signal.aborted ? { exitCode: null, ended: 'stopped', output: '', truncated: false, totalBytes: 0 } : undefined;
  }
  const out = new HeadTailText(HEAD_BYTES, TAIL_BYTES);
  log.info('run_command: running in the shell, through its shell integration.');
  const execution = integration.executeCommand(command);
  const exit = new Promise<number | undefined>((resolve) => {
    const listener = vscode.window.onDidEndTerminalShellExecution((e) => {
      if (e.execution !== execution) return;
      listener.dispose();
      resolve(e.exitCode);
    });
  });
  const read = (async () => {
    for await (const data of execution.read()) out.push(stripAnsi(data));
  })();
  const stop = new AbortController();
  const timeout = setTimeout(() => stop.abort('timeout'), timeoutMs);
  const onAbort = () => stop.abort('stopped');
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const interrupted = new Promise<'stopped' | 'timeout'>((resolve) =>
      stop.signal.addEventListener('abort', () => resolve(stop.signal.reason), { once: true }),
    );
    const first = await Promise.race([exit.then((code) => ({ code })), interrupted]);
    if (typeof first === 'object') {
      // The end event can come before the last output: let the reader finish, briefly.
      await Promise.race([read, delay(500)]);
      return { exitCode: first.code, output: out.text(), truncated: out.truncated, totalBytes: out.totalBytes };
    }
    // Ctrl+C as a user would; a command that ignores it ends with its terminal.
    terminal.sendText('\x03', false);
    const ended = await Promise.race([exit.then(() => true), delay(INTERRUPT_GRACE_MS).then(() => false)]);
    if (!ended) terminal.dispose();
    return { exitCode: null, ended: first, output: out.text(), truncated: out.truncated, totalBytes: out.totalBytes };
  } finally {
    clearTimeout(timeout);
    signal.removeEventListener('abort', onAbort);
  }
}

function shellIntegrationOf(terminal: vscode.Terminal, signal: AbortSignal): Promise<vscode.TerminalShellIntegration | undefined> {
  return new Promise((resolve) => {
    const done = (value: vscode.TerminalShellIntegration | undefined) => {
      listener.dispose();
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const listener = vscode.window.onDidChangeTerminalShellIntegration((e) => e.terminal === terminal && done(e.shellIntegration));
    const timer = setTimeout(() => done(terminal.shellIntegration), SHELL_INTEGRATION_WAIT_MS);
    const onAbort = () => done(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A terminal that shows a child process running the command; closing the terminal stops it like Stop does. */
async function inPseudoterminal(name: string, cwd: string, command: string, timeoutMs: number, signal: AbortSignal): Promise<Outcome> {
  const write = new vscode.EventEmitter<string>();
  const closed = new AbortController();
  const before: string[] = [];
  let held = 0;
  let opened = false;
  // Until VS Code opens the terminal its output is held, up to a cap (the model gets its copy anyway).
  const show = (text: string) => {
    if (opened) write.fire(text);
    else if ((held += text.length) < MAX_HELD_CHARS) before.push(text);
  };
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    open: () => {
      opened = true;
      for (const text of before.splice(0)) write.fire(text);
    },
    // The terminal outlives the command (its output stays readable): the emitter goes when the terminal does.
    close: () => {
      closed.abort();
      write.dispose();
    },
  };
  const terminal = vscode.window.createTerminal({ name, pty, isTransient: true });
  terminal.show(true);
  show(`\x1b[1m$ ${command}\x1b[0m\r\n`);
  try {
    const result = await runCommandProcess({
      command,
      cwd,
      signal: AbortSignal.any([signal, closed.signal]),
      timeoutMs,
      headBytes: HEAD_BYTES,
      tailBytes: TAIL_BYTES,
      onOutput: (text) => show(text.replace(/\r?\n/g, '\r\n')),
    });
    show(`\r\n[${result.ended === 'stopped' ? 'stopped' : result.ended === 'timeout' ? 'timed out' : `exit code ${result.exitCode}`}]\r\n`);
    return { ...result, output: stripAnsi(result.output) };
  } catch (err) {
    terminal.dispose();
    throw err;
  }
}
