/**
 * Long tool calls in the editor's progress UI (VS Code's notification with a bar and Cancel). A server may
 * send progress notifications as fast as it likes; the UI gets at most one report per interval, the newest
 * value winning, so a flood costs the editor nothing.
 */

/** The editor's progress UI, as a function of plain values (the extension adapts vscode.window.withProgress). */
export interface ProgressUiHost {
  /** Shows progress until `task` settles; `onCancel` registers what the UI's Cancel does. */
  withProgress(
    title: string,
    task: (report: (value: { message?: string; increment?: number }) => void, onCancel: (cancel: () => void) => void) => Promise<unknown>,
  ): void;
}

export interface ProgressUiOptions {
  /** Calls that finish sooner never show. Default 1.5 s. */
  showAfterMs?: number;
  /** At most one report per this many ms. Default 200 (5 a second). */
  minIntervalMs?: number;
}

type OnProgress = (progress: number, total?: number, message?: string) => void;

/** A progress message is one line of a notification, not a document. */
const MAX_MESSAGE_CHARS = 200;

/** Runs `run`; if it is still going after `showAfterMs`, shows it in the progress UI, where Cancel calls `cancel`. */
export async function withProgressUi<T>(
  title: string,
  run: (onProgress: OnProgress) => Promise<T>,
  cancel: () => void,
  host: ProgressUiHost,
  options: ProgressUiOptions = {},
): Promise<T> {
  const minInterval = options.minIntervalMs ?? 200;
  let report: ((value: { message?: string; increment?: number }) => void) | undefined;
  let latest: { fraction: number; message?: string } | undefined;
  let shownFraction = 0;
  let lastReport = -Infinity;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let settled = false;

  const flush = () => {
    flushTimer = undefined;
    if (!report || !latest || settled) return;
    const { fraction, message } = latest;
    latest = undefined;
    lastReport = Date.now();
    report({ message, increment: Math.max(0, fraction - shownFraction) * 100 });
    shownFraction = Math.max(shownFraction, fraction);
  };
  const onProgress: OnProgress = (p, t, m) => {
    latest = {
      fraction: t ? Math.min(1, Math.max(0, p / t)) : shownFraction,
      message: m === undefined ? undefined : m.slice(0, MAX_MESSAGE_CHARS),
    };
    if (!report || flushTimer) return;
    const wait = lastReport + minInterval - Date.now();
    if (wait <= 0) flush();
    else flushTimer = setTimeout(flush, wait);
  };

  const running = run(onProgress);
  void running.finally(() => (settled = true)).catch(() => {});
  const showTimer = setTimeout(() => {
    if (settled) return;
    host.withProgress(title, (r, onCancel) => {
      onCancel(cancel);
      report = r;
      if (latest) flush();
      return running.catch(() => undefined);
    });
  }, options.showAfterMs ?? 1500);
  try {
    return await running;
  } finally {
    settled = true;
    clearTimeout(showTimer);
    if (flushTimer) clearTimeout(flushTimer);
  }
}
