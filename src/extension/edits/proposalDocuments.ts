/**
 * The proposal side of a review's diff: a read-only virtual document (`model-chat-proposal:`), so nothing
 * the model proposed exists on disk, and the user cannot mistake it for the file, until Accept. Its path is
 * the file's, so the diff editor picks the same language; the query tells two proposals for one file apart.
 */
import * as vscode from 'vscode';

export const PROPOSAL_SCHEME = 'model-chat-proposal';

export class ProposalDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this);

  uriFor(file: vscode.Uri, id: string, side: 'proposal' | 'empty' = 'proposal'): vscode.Uri {
    return vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: file.path, query: `${side}=${id}` });
  }

  set(uri: vscode.Uri, text: string): void {
    const key = uri.toString();
    const had = this.texts.has(key);
    this.texts.set(key, text);
    if (had) this.changed.fire(uri);
  }

  delete(uri: vscode.Uri): void {
    this.texts.delete(uri.toString());
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
    this.texts.clear();
  }
}
