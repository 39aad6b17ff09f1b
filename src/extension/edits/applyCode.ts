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
import { fitsMerge, type MergeAnswer, type MergeInput } from '../../streaming/chat/mergeRequest';

/** The chat's model merging a block it is unclear where to put (a side request: streaming/chat/mergeRequest.ts). */
export type Merger = (input: MergeInput, signal: AbortSignal) => Promise<MergeAnswer>;

const REPLACE = 'Replace the Whole File';
const APPEND = 'Add at the End';
const ASK_MODEL = 'Ask the Model to Merge';

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
  merger?: Merger,
): Promise<void> {
  try {
    const named = nameBlock(block);
    const uri = named.path ? await resolveInWorkspace(named.path) : await activeOrChosenFile();
    if (!uri) return;
    const current = await readCurrentText(uri);
    // A file that does start with the comment naming it keeps it.
    const code = named.pathComment && current?.startsWith(named.pathComment) ? `${named.pathComment}\n${named.code}` : named.code;
    const path = vscode.workspace.asRelativePath(uri);
    let merged = mergeBlock(current, code);
    let by = '';
    if (!merged.ok) {
      const canAsk = merger !== undefined && current !== undefined && fitsMerge({ current, block: code });
      const choice = await vscode.window.showWarningMessage(
        `Model Chat: where this block goes in ${path} is unclear (${merged.reason}).`,
        ...[REPLACE, APPEND, ...(canAsk ? [ASK_MODEL] : [])],
      );
      if (!choice) return;
      let text: string;
      if (choice === ASK_MODEL) {
        const answer = await mergeWithProgress(merger!, { path, current: current ?? '', block: code });
        if (!answer.ok) {
          log.info(`Merge by the model for ${path}: ${answer.reason}`);
          if (!answer.cancelled) void vscode.window.showErrorMessage(`Model Chat: the model could not merge the block: ${answer.reason}`);
          return;
        }
        text = answer.text;
        by = ` (merged by ${answer.model})`;
      } else text = choice === APPEND ? `${current ?? ''}${current && !current.endsWith('\n') ? '\n' : ''}${code}` : code;
      merged = { ok: true, kind: 'region', text: text.endsWith('\n') ? text : `${text}\n` };
    }
    const label = `Apply to ${path}${by}`;
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

/** The side request under a cancellable notification: Cancel aborts it (the socket is closed). */
function mergeWithProgress(merger: Merger, input: MergeInput): Thenable<MergeAnswer> {
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Model Chat: asking the model to merge the block into ${input.path}…`,
      cancellable: true,
    },
    (_progress, token) => {
      const abort = new AbortController();
      const listener = token.onCancellationRequested(() => abort.abort());
      return merger(input, abort.signal).finally(() => listener.dispose());
    },
  );
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
