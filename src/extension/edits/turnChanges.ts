/**
 * "Undo changes of this answer": the texts a turn's accepted changes replaced are restored in one
 * WorkspaceEdit (files it created are deleted), after a warning when a file changed since the turn. The
 * record (turnRecords.ts) is kept in memory and in the workspace's storage, so a reload keeps the button.
 */
import * as vscode from 'vscode';
import { messageOf } from '../../shared/errors';
import type { AcceptedEdit, EditReview } from './editReview';
import { readCurrentText } from './fileText';
import { sameText } from './rebase';
import { parseRecords, recordChange, type TurnRecord } from './turnRecords';

const STATE_KEY = 'modelChat.edits.turns';

export interface TurnChangeInfo {
  messageId: string;
  files: string[];
}

export class TurnChanges implements vscode.Disposable {
  private turns: TurnRecord[];
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  readonly onDidChange = this.changed.event;

  constructor(
    review: EditReview,
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.turns = parseRecords(state.get(STATE_KEY));
    this.subscription = review.onDidAccept((e) => this.record(e));
  }

  list(): TurnChangeInfo[] {
    return this.turns.map((t) => ({
      messageId: t.turnId,
      files: t.files.map((f) => vscode.workspace.asRelativePath(vscode.Uri.parse(f.uri))),
    }));
  }

  async undo(messageId: string): Promise<boolean> {
    const turn = this.turns.find((t) => t.turnId === messageId);
    if (!turn) return false;
    const files = turn.files.map((f) => ({ ...f, uri: vscode.Uri.parse(f.uri) }));
    const now = await Promise.all(files.map((f) => readCurrentText(f.uri).catch(() => null)));
    const changedSince = files.filter((f, i) => now[i] === null || !sameText(now[i] ?? undefined, f.after));
    if (changedSince.length) {
      const names = changedSince.map((f) => vscode.workspace.asRelativePath(f.uri)).join(', ');
      const choice = await vscode.window.showWarningMessage(
        `${names} changed since this answer. Undoing restores the text from before the answer, and the later changes are lost.`,
        { modal: true },
        'Undo Anyway',
      );
      if (choice !== 'Undo Anyway') return false;
    }
    const edit = new vscode.WorkspaceEdit();
    for (const [i, f] of files.entries()) {
      const current = now[i];
      if (f.before === null) edit.deleteFile(f.uri, { ignoreIfNotExists: true });
      else if (current === undefined || current === null) {
        edit.createFile(f.uri, { overwrite: true });
        edit.insert(f.uri, new vscode.Position(0, 0), f.before);
      } else {
        const doc = await vscode.workspace.openTextDocument(f.uri);
        edit.replace(f.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), f.before);
      }
    }
    if (!(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showErrorMessage('Model Chat: the changes of this answer could not be undone.');
      return false;
    }
    for (const f of files) {
      if (f.before === null) continue;
      try {
        await (await vscode.workspace.openTextDocument(f.uri)).save();
      } catch (err) {
        this.log.warn(`Undo: saving ${f.uri.toString()} failed: ${messageOf(err)}`);
      }
    }
    this.turns = this.turns.filter((t) => t.turnId !== messageId);
    await this.persist();
    this.log.info(`Undid the changes of answer ${messageId} (${files.length} files)`);
    return true;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  private record(e: AcceptedEdit): void {
    if (!e.turnId) return;
    this.turns = recordChange(this.turns, {
      turnId: e.turnId,
      conversationId: e.conversationId,
      uri: e.uri.toString(),
      before: e.before,
      after: e.after,
    });
    void this.persist();
  }

  private async persist(): Promise<void> {
    this.changed.fire();
    await Promise.resolve(this.state.update(STATE_KEY, this.turns)).catch((err: unknown) =>
      this.log.warn(`Storing the turns' changes failed: ${messageOf(err)}`),
    );
  }
}
