import * as vscode from 'vscode';
import type { ConversationStore } from '../../history/conversationStore';
import type { StoreProblem } from '../../history/storeTypes';
import type { ChatSessions } from '../../streaming/chat/chatSessions';

/** Reopens the most recent conversation, unless the user has already started a new one. */
export async function restoreLatest(
  store: ConversationStore,
  sessions: ChatSessions,
  log: vscode.LogOutputChannel,
  /** Conversations already open elsewhere (an editor tab brought back by the reload): not opened twice. */
  inUse: () => Set<string> = () => new Set(),
): Promise<void> {
  const { conversations, problems } = await store.list();
  reportProblems(problems, log);
  const latest = conversations[0];
  if (!latest) return;
  const { conversation, problems: more } = await store.load(latest.id);
  reportProblems(more, log);
  if (conversation && sessions.active.isEmpty && !sessions.active.busy && !inUse().has(conversation.id))
    sessions.active.restore(conversation);
}

/** Files the store could not read were kept aside: the log says which, a warning says that it happened. */
export function reportProblems(problems: StoreProblem[], log: vscode.LogOutputChannel): void {
  if (!problems.length) return;
  for (const p of problems) log.error(`Conversation storage: ${p.file} ${p.reason}${p.movedTo ? ` (kept as ${p.movedTo})` : ''}`);
  void vscode.window
    .showWarningMessage(
      `Model Chat could not read ${problems.length} saved conversation file(s); they were kept aside. See the log for details.`,
      'Show log',
    )
    .then((c) => c && log.show());
}
