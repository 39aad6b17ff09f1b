/**
 * propose_edit: the model's new file content goes through the same diff review as the chat's Apply, so
 * nothing is written unless the user accepts it; the model is told what the user decided.
 */
import * as vscode from 'vscode';
import type { ProposedEdit, ReviewOutcome } from '../edits/editReview';
import { resolveWorkspacePath } from '../../tools/workspace/workspacePaths';
import type { WorkspaceToolHandler } from '../../tools/workspace/workspaceToolSupport';
import { localFolders } from './workspaceFolders';

export interface EditProposer {
  propose(edit: ProposedEdit, signal?: AbortSignal): Promise<ReviewOutcome>;
}

export function proposeEdit(review: EditProposer): WorkspaceToolHandler {
  return async (args, { signal, onProgress, turn }) => {
    const where = await resolveWorkspacePath(String(args.path), localFolders());
    if (!where.ok) return { outcome: 'toolError', text: where.error };
    const summary = typeof args.summary === 'string' && args.summary.trim() ? args.summary.trim().slice(0, 200) : undefined;
    onProgress(0, undefined, `Waiting for your review of ${where.relative}`);
    let outcome: ReviewOutcome;
    try {
      outcome = await review.propose(
        {
          uri: vscode.Uri.file(where.absolute),
          newText: String(args.content),
          source: { label: summary ?? `propose_edit: ${where.relative}`, conversationId: turn?.conversationId, turnId: turn?.messageId },
        },
        signal,
      );
    } catch (err) {
      // EditRefused (outside, too large, not text): the model should know why, nothing was shown.
      return { outcome: 'toolError', text: `The edit to ${where.relative} could not be proposed: ${(err as Error).message}` };
    }
    if (outcome === 'accepted') return { text: `The user accepted the change; ${where.relative} is saved with the proposed content.` };
    // The tool did its job; the answer is no. The model should change course, not retry.
    if (outcome === 'rejected') return { text: `The user rejected the change to ${where.relative}; the file is unchanged.` };
    return { outcome: 'failed', text: `The review of ${where.relative} was closed without a decision; the file is unchanged.` };
  };
}
