/**
 * The window's one review service and record of each answer's changes, the editor-title and palette
 * commands for them, and each chat surface's share: its Apply, Accept/Reject and Undo messages, and the
 * pending reviews and undoable answers posted to its page.
 */
import * as vscode from 'vscode';
import type { HostToWebview } from '../../shared/protocol';
import { DisposableStore, type IDisposable } from '../../shared/disposable';
import type { MessageRouter } from '../view/messageRouter';
import { applyCodeBlock, type Merger } from './applyCode';
import { EditReview } from './editReview';
import { TurnChanges } from './turnChanges';

export interface EditsSurface {
  router: MessageRouter;
  post(message: HostToWebview): void;
  conversationId(): string | undefined;
}

export class Edits implements vscode.Disposable {
  readonly review: EditReview;
  readonly turns: TurnChanges;
  private readonly disposables = new DisposableStore();

  constructor(
    state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    /** Apply's "Ask the Model to Merge"; without it the choice is not offered. */
    private readonly merger?: Merger,
  ) {
    this.review = new EditReview(log);
    this.turns = new TurnChanges(this.review, state, log);
    // Editor title buttons pass the proposal's URI; from the palette there is none, and the only pending review is meant.
    const idFor = (uri?: vscode.Uri) =>
      this.review.reviewAt(uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri);
    this.disposables.add(
      vscode.commands.registerCommand('modelChat.acceptEdit', async (uri?: vscode.Uri) => {
        const id = idFor(uri);
        if (id) await this.review.accept(id);
      }),
    );
    this.disposables.add(
      vscode.commands.registerCommand('modelChat.rejectEdit', (uri?: vscode.Uri) => {
        const id = idFor(uri);
        if (id) this.review.reject(id);
      }),
    );
    this.disposables.add(vscode.commands.registerCommand('modelChat.acceptAllEdits', () => this.review.acceptAll()));
    this.disposables.add(vscode.commands.registerCommand('modelChat.rejectAllEdits', () => this.review.rejectAll()));
  }

  registerSurface(surface: EditsSurface): IDisposable {
    const store = new DisposableStore();
    const postReviews = () =>
      surface.post({
        type: 'editReviews',
        reviews: this.review
          .pending()
          .map((r) => ({ id: r.id, file: vscode.workspace.asRelativePath(r.uri), label: r.label, note: r.note })),
      });
    const postTurns = () => surface.post({ type: 'turnChanges', turns: this.turns.list() });
    store.add(this.review.onDidChange(postReviews));
    store.add(this.turns.onDidChange(postTurns));
    store.add(
      surface.router.register({
        ready: () => {
          postReviews();
          postTurns();
        },
        applyCode: (m) =>
          void applyCodeBlock(
            { text: m.text, info: m.info, before: m.before },
            { conversationId: surface.conversationId(), messageId: m.messageId },
            this.review,
            this.log,
            this.merger,
          ),
        editReview: (m) => void this.decide(m.action, m.id),
        undoTurn: (m) => void this.turns.undo(m.messageId),
      }),
    );
    return store;
  }

  private async decide(action: 'accept' | 'reject' | 'show' | 'acceptAll' | 'rejectAll', id: string | undefined): Promise<void> {
    if (action === 'acceptAll') await this.review.acceptAll();
    else if (action === 'rejectAll') this.review.rejectAll();
    else if (id === undefined) return;
    else if (action === 'accept') await this.review.accept(id);
    else if (action === 'reject') this.review.reject(id);
    else await this.review.reveal(id);
  }

  dispose(): void {
    this.disposables.dispose();
    this.turns.dispose();
    this.review.dispose();
  }
}
