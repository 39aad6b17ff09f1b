/**
 * Replacing a `vscode.window` function for a while, so the suite can answer input boxes, quick picks and
 * messages. This works because the suite is loaded from inside the extension's folder (out/test/integration/),
 * and VS Code hands every file of an extension the same `vscode` API object (see extension.test.ts).
 */
import * as vscode from 'vscode';

export type WindowFn = 'showInputBox' | 'showWarningMessage' | 'showInformationMessage' | 'showQuickPick' | 'createQuickPick';

/** Replaces `vscode.window[name]` with `impl`; returns what puts the original back. */
export function replaceWindowFn(name: WindowFn, impl: (...args: any[]) => unknown): () => void {
  const win = vscode.window as unknown as Record<string, unknown>;
  const original = win[name];
  win[name] = impl;
  if (win[name] !== impl)
    throw new Error(
      `vscode.window.${name} cannot be replaced in this VS Code: the suite needs a test hook to drive Model Chat's commands.`,
    );
  return () => {
    win[name] = original;
  };
}

/** Runs `body` with these `vscode.window` functions replaced, and puts the originals back after it. */
export async function withWindow<T>(fns: Partial<Record<WindowFn, (...args: any[]) => unknown>>, body: () => Promise<T>): Promise<T> {
  const restores = Object.entries(fns).map(([name, impl]) => replaceWindowFn(name as WindowFn, impl!));
  try {
    return await body();
  } finally {
    for (const restore of restores.reverse()) restore();
  }
}
