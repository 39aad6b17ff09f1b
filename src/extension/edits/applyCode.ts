/**
 * A code block's Apply: find its file (the one it names, else the active editor, else ask), merge the block
 * into it, and hand the result to the review. Nothing is written here; a path that leaves the workspace
 * (`..`, an absolute path elsewhere, a symlink out) is refused before anything is read.
 */
import * as vscode from 'vscode';
import { isInside } from '../../shared/boundedFile';
import { messageOf } from '../../shared/errors';
import { nameBlock, relativeInside, type CodeBlock } from './codeTarget';
import { EditRefused, readCurrentText } from './fileText';
import { mergeBlock } from './mergeCode';
import type { EditReview } from './editReview';

export interface ApplySource {
  conversationId?: string;
  /** The answer the block is in: its turn's changes can be undone together. */
  messageId?: string;
}

export async function applyCodeBlock(
  block: CodeBlock,
  source: ApplySource,
  review: EditReview,
  log: vscode.LogOutputChannel,
): Promise<void> {
  try {
    const named = nameBlock(block);
    const uri = named.path ? await resolveInWorkspace(named.path) : await activeOrChosenFile();
    if (!uri) return;
    const current = await readCurrentText(uri);
    // A file that does start with the comment naming it keeps it.
    const code = named.pathComment && current?.startsWith(named.pathComment) ? `${named.pathComment}\n${named.code}` : named.code;
    let merged = mergeBlock(current, code);
    if (!merged.ok) {
      const choice = await vscode.window.showWarningMessage(
        `Model Chat: where this block goes in ${vscode.workspace.asRelativePath(uri)} is unclear (${merged.reason}).`,
        'Replace the Whole File',
        'Add at the End',
      );
      if (!choice) return;
      const text = choice === 'Add at the End' ? `${current ?? ''}${current && !current.endsWith('\n') ? '\n' : ''}${code}` : code;
      merged = { ok: true, kind: 'region', text: text.endsWith('\n') ? text : `${text}\n` };
    }
    const label = `Apply to ${vscode.workspace.asRelativePath(uri)}`;
    const outcome = await review.propose({
      uri,
      newText: merged.text,
      baseText: current,
      source: { conversationId: source.conversationId, turnId: source.messageId, label },
    });
    log.info(`${label}: ${outcome}`);
  } catch (err) {
    if (err instanceof EditRefused) void vscode.window.showErrorMessage(`Model Chat: ${err.message}`);
    else {
      log.error(`Apply failed: ${messageOf(err)}`);
      void vscode.window.showErrorMessage(`Model Chat: Apply failed: ${messageOf(err)}`);
    }
  }
}

/** The path in the first workspace folder that has it (or, for a new file, the first folder), checked inside it. */
export async function resolveInWorkspace(path: string): Promise<vscode.Uri> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new EditRefused(`Open a folder to apply code to ${path}.`);
  const checked = relativeInside(path);
  if (!checked.ok) throw new EditRefused(checked.reason);
  const candidates = checked.relative.startsWith('/')
    ? [vscode.Uri.file(checked.relative)]
    : folders.map((f) => vscode.Uri.joinPath(f.uri, checked.relative));
  let chosen: vscode.Uri | undefined;
  for (const uri of candidates) {
    const exists = await Promise.resolve(vscode.workspace.fs.stat(uri)).then(
      () => true,
      () => false,
    );
    if (exists) {
      chosen = uri;
      break;
    }
  }
  return checkInWorkspace(chosen ?? candidates[0]!, path);
}

async function checkInWorkspace(uri: vscode.Uri, label: string): Promise<vscode.Uri> {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  // Symlinks resolved (a missing file by its parent folder): `src -> /etc` does not lead out.
  if (!folder || (uri.scheme === 'file' && !(await isInside(uri.fsPath, [folder.uri.fsPath]))))
    throw new EditRefused(`${label} is outside the workspace`);
  return uri;
}

async function activeOrChosenFile(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && active.scheme !== 'untitled' && vscode.workspace.getWorkspaceFolder(active)) return active;
  const open = vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .map((t) => (t.input instanceof vscode.TabInputText ? t.input.uri : undefined))
    .filter((u): u is vscode.Uri => !!u && !!vscode.workspace.getWorkspaceFolder(u));
  const NEW = 'New file…';
  const picked = await vscode.window.showQuickPick(
    [...new Map(open.map((u) => [u.toString(), u])).values()]
      .map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u as vscode.Uri | undefined }))
      .concat({ label: NEW, uri: undefined }),
    { title: 'Apply the code block to which file?' },
  );
  if (!picked) return undefined;
  if (picked.uri) return picked.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    title: 'Apply the code block to a new file',
  });
  if (!target) return undefined;
  return checkInWorkspace(target, target.fsPath);
}
