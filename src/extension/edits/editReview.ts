/**
 * Every change the chat makes to a file goes through here: the proposal opens in VS Code's diff editor
 * (the file against a read-only proposal) and waits for Accept or Reject, from the chat or the diff
 * editor's title. Accept is one WorkspaceEdit (one undo step) and a save; Reject writes nothing. A file
 * that changed since the proposal was made, or while it was in review, is never overwritten: the proposal
 * is moved onto the new text (or shown as it is) and the diff is shown again.
 */
import * as vscode from 'vscode';
import { ProposalDocuments } from './proposalDocuments';
import { EditRefused, readCurrentText } from './fileText';
import { normalizeEol, rebase, sameText } from './rebase';

export interface ProposedEdit {
  uri: vscode.Uri;
  newText: string;
  /** The text the proposal was made against; when the file differs now, the proposal is re-diffed. */
  baseText?: string;
  /**
   * `turnId` is the id of the assistant message the change belongs to (MessageSnapshot.id): accepted changes
   * with one turnId are undone together by that answer's "Undo changes of this answer".
   */
  source: { conversationId?: string; turnId?: string; label: string };
}

export type ReviewOutcome = 'accepted' | 'rejected' | 'cancelled';

/** What the chat shows for a review waiting on the user. */
export interface PendingReview {
  id: string;
  uri: vscode.Uri;
  label: string;
  conversationId?: string;
  turnId?: string;
  /** Why this diff is not simply "the proposal": the file changed since the answer, or during review. */
  note?: string;
}

/** An accepted change, with the text before (undefined: the file was created) for undoing the turn. */
export interface AcceptedEdit {
  uri: vscode.Uri;
  before: string | undefined;
  after: string;
  conversationId?: string;
  turnId?: string;
}

interface Review extends PendingReview {
  edit: ProposedEdit;
  /** The file's text the diff was made against (undefined: a new file). */
  current: string | undefined;
  proposal: string;
  proposalUri: vscode.Uri;
  emptyUri: vscode.Uri;
  settle(outcome: ReviewOutcome): void;
}

export const REVIEW_PENDING_CONTEXT = 'modelChat.editReviewPending';

export class EditReview implements vscode.Disposable {
  private readonly reviews = new Map<string, Review>();
  private readonly documents = new ProposalDocuments();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly accepted = new vscode.EventEmitter<AcceptedEdit>();
  private nextId = 1;

  constructor(private readonly log?: vscode.LogOutputChannel) {}
  /** The pending set changed (for the chat's Accept/Reject buttons). */
  readonly onDidChange: vscode.Event<void> = this.changed.event;
  readonly onDidAccept: vscode.Event<AcceptedEdit> = this.accepted.event;

  /**
   * Shows the change in the diff editor and resolves once the user decides, or 'cancelled' when `signal`
   * aborts (the turn was stopped) or the service is disposed. Throws EditRefused for a file outside the
   * workspace, too large, or not text: nothing is shown then.
   */
  async propose(edit: ProposedEdit, signal?: AbortSignal): Promise<ReviewOutcome> {
    if (signal?.aborted) return 'cancelled';
    const current = await readCurrentText(edit.uri, signal);
    if (signal?.aborted) return 'cancelled';
    const id = String(this.nextId++);
    const { proposal, note } = placeProposal(edit, current);
    return new Promise<ReviewOutcome>((resolve) => {
      const onAbort = () => this.settle(id, 'cancelled');
      const review: Review = {
        id,
        uri: edit.uri,
        label: edit.source.label,
        conversationId: edit.source.conversationId,
        turnId: edit.source.turnId,
        note,
        edit,
        current,
        proposal,
        proposalUri: this.documents.uriFor(edit.uri, id),
        emptyUri: this.documents.uriFor(edit.uri, id, 'empty'),
        settle: (outcome) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.reviews.set(id, review);
      this.documents.set(review.proposalUri, proposal);
      this.documents.set(review.emptyUri, '');
      this.fireChanged();
      void this.show(review);
    });
  }

  pending(): readonly PendingReview[] {
    return [...this.reviews.values()].map(({ id, uri, label, conversationId, turnId, note }) => ({
      id,
      uri,
      label,
      conversationId,
      turnId,
      note,
    }));
  }

  /** The review shown at `uri` (the diff editor's proposal side), for the editor title's commands. */
  reviewAt(uri: vscode.Uri | undefined): string | undefined {
    const key = uri?.toString();
    for (const r of this.reviews.values()) if (r.proposalUri.toString() === key || r.uri.toString() === key) return r.id;
    return this.reviews.size === 1 ? [...this.reviews.keys()][0] : undefined;
  }

  /** Opens the review's diff again (the user closed it, or wants to look before deciding). */
  async reveal(id: string): Promise<void> {
    const review = this.reviews.get(id);
    if (review) await this.show(review);
  }

  /**
   * Writes the proposal as one undoable edit and saves. When the file changed while the diff was open,
   * nothing is written: the diff is refreshed against the new text and stays pending (returns false).
   */
  async accept(id: string): Promise<boolean> {
    const review = this.reviews.get(id);
    if (!review) return false;
    let now: string | undefined;
    try {
      now = await readCurrentText(review.uri);
    } catch (err) {
      void vscode.window.showErrorMessage(`Model Chat: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    if (!sameText(now, review.current)) {
      this.rediff(review, now);
      void vscode.window.showWarningMessage(
        `Model Chat: ${vscode.workspace.asRelativePath(review.uri)} changed during the review. Check the updated diff, then accept again.`,
      );
      return false;
    }
    const label = vscode.workspace.asRelativePath(review.uri);
    const applied = await applyWhole(review.uri, now, review.proposal).catch((err: unknown) =>
      err instanceof Error ? err.message : String(err),
    );
    if (applied !== true) {
      void vscode.window.showErrorMessage(`Model Chat: could not change ${label}${typeof applied === 'string' ? `: ${applied}` : '.'}`);
      return false;
    }
    // The change is made (and undoable) once applied: the review ends now, whatever the save below takes
    // (save participants of other extensions can hold it for seconds on a busy machine).
    this.accepted.fire({
      uri: review.uri,
      before: now,
      after: review.proposal,
      conversationId: review.conversationId,
      turnId: review.turnId,
    });
    this.settle(id, 'accepted');
    const saved = await Promise.resolve(vscode.workspace.openTextDocument(review.uri).then((doc) => doc.save())).catch(() => false);
    this.log?.info(`Accepted the change to ${label}${saved ? '' : ' (not saved)'}`);
    if (!saved) void vscode.window.showWarningMessage(`Model Chat: the change to ${label} is made but not saved yet.`);
    return true;
  }

  reject(id: string): void {
    this.settle(id, 'rejected');
  }

  async acceptAll(ids: readonly string[] = [...this.reviews.keys()]): Promise<number> {
    let count = 0;
    for (const id of ids) if (await this.accept(id)) count++;
    return count;
  }

  rejectAll(ids: readonly string[] = [...this.reviews.keys()]): void {
    for (const id of ids) this.reject(id);
  }

  dispose(): void {
    for (const id of [...this.reviews.keys()]) this.settle(id, 'cancelled');
    this.documents.dispose();
    this.changed.dispose();
    this.accepted.dispose();
  }

  private rediff(review: Review, now: string | undefined): void {
    const moved = review.current !== undefined && now !== undefined ? rebase(review.current, review.proposal, now) : undefined;
    review.proposal = moved ?? review.proposal;
    review.note = moved
      ? 'The file changed during the review: the change was moved onto the new text.'
      : 'The file changed during the review: the proposal is shown against the new text.';
    review.current = now;
    this.documents.set(review.proposalUri, review.proposal);
    this.fireChanged();
    void this.show(review);
  }

  private settle(id: string, outcome: ReviewOutcome): void {
    const review = this.reviews.get(id);
    if (!review) return;
    this.reviews.delete(id);
    void closeDiff(review.proposalUri).finally(() => {
      this.documents.delete(review.proposalUri);
      this.documents.delete(review.emptyUri);
    });
    review.settle(outcome);
    this.fireChanged();
  }

  private fireChanged(): void {
    void vscode.commands.executeCommand('setContext', REVIEW_PENDING_CONTEXT, this.reviews.size > 0);
    this.changed.fire();
  }

  private async show(review: Review): Promise<void> {
    const name = vscode.workspace.asRelativePath(review.uri);
    const left = review.current === undefined ? review.emptyUri : review.uri;
    const title = `${name} ↔ proposed${review.current === undefined ? ' (new file)' : ''}${review.note ? ' (re-diffed)' : ''}`;
    try {
      await vscode.commands.executeCommand('vscode.diff', left, review.proposalUri, title, { preview: false });
    } catch (err) {
      void vscode.window.showErrorMessage(`Model Chat: could not show the diff: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** The proposal as it should be shown against the file as it is now. */
function placeProposal(edit: ProposedEdit, current: string | undefined): { proposal: string; note?: string } {
  if (edit.baseText === undefined || sameText(edit.baseText, current)) return { proposal: edit.newText };
  if (current === undefined) return { proposal: edit.newText, note: 'The file was deleted since the answer: it would be created again.' };
  const moved = rebase(edit.baseText, edit.newText, current);
  return moved !== undefined
    ? { proposal: moved, note: 'The file changed since the answer: the change was moved onto its current text.' }
    : { proposal: normalizeEol(edit.newText), note: 'The file changed since the answer: check the diff, it is against the current text.' };
}

/** One WorkspaceEdit (one undo step in the editor); a missing file is created by the same edit. */
async function applyWhole(uri: vscode.Uri, before: string | undefined, text: string): Promise<boolean> {
  const edit = new vscode.WorkspaceEdit();
  if (before === undefined) {
    edit.createFile(uri, { ignoreIfExists: false });
    edit.insert(uri, new vscode.Position(0, 0), text);
  } else {
    const doc = await vscode.workspace.openTextDocument(uri);
    edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
  }
  return vscode.workspace.applyEdit(edit);
}

async function closeDiff(proposalUri: vscode.Uri): Promise<void> {
  const key = proposalUri.toString();
  const tabs = vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === key);
  if (tabs.length) await vscode.window.tabGroups.close(tabs).then(undefined, () => undefined);
}

export { EditRefused };
