/**
 * Conversations out and in: Export conversation… (Markdown or JSON through the save dialog), Copy
 * conversation (the Markdown to the clipboard), Import conversation… (a JSON export, checked, saved under
 * a new id and opened). The formats live in `src/history` (`exportMarkdown.ts`, `exportJson.ts`).
 */
import { homedir } from 'node:os';
import { posix } from 'node:path';
import * as vscode from 'vscode';
import type { ConversationStore } from '../../history/conversationStore';
import { titleOf, type Conversation } from '../../history/conversationFormat';
import { exportJson, MAX_IMPORT_BYTES, parseImport } from '../../history/exportJson';
import { conversationMarkdown, exportFileName } from '../../history/exportMarkdown';
import { formatBytes } from '../../history/storageBound';
import { messageOf } from '../../shared/errors';
import type { ChatSessions } from '../../streaming/chat/chatSessions';
import type { HistoryController } from '../history/historyController';

export interface ConversationCommandDeps {
  sessions: ChatSessions;
  store: ConversationStore;
  history: Pick<HistoryController, 'open' | 'list'>;
  log: vscode.LogOutputChannel;
  revealChat(): Promise<void>;
  /** The conversations of the chat surface the user was in last; the sidebar's when not given. */
  focusedSessions?(): Pick<ChatSessions, 'active'> | undefined;
}

const shownSessions = (deps: ConversationCommandDeps) => deps.focusedSessions?.() ?? deps.sessions;

export function registerConversationCommands(deps: ConversationCommandDeps): vscode.Disposable[] {
  const command = (id: string, what: string, run: () => Promise<void>) =>
    vscode.commands.registerCommand(id, async () => {
      try {
        await run();
      } catch (err) {
        deps.log.error(`${what} failed: ${messageOf(err)}`);
        void vscode.window.showErrorMessage(`Model Chat: ${what} failed: ${messageOf(err)}`);
      }
    });
  return [
    command('modelChat.exportConversation', 'Export conversation', () => exportConversation(deps)),
    command('modelChat.copyConversation', 'Copy conversation', () => copyConversation(deps)),
    command('modelChat.importConversation', 'Import conversation', () => importConversation(deps)),
  ];
}

/** The conversation the view shows, or undefined (and the user told) when there is nothing in it yet. */
function shown(deps: ConversationCommandDeps): Conversation | undefined {
  const session = shownSessions(deps).active;
  if (!session.isEmpty) return session.conversation();
  void vscode.window.showInformationMessage('Model Chat: the chat is empty, there is no conversation to export or copy yet.');
  return undefined;
}

/** Where the dialogs start: the workspace folder, else the home folder. */
const startFolder = () => vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());

async function exportConversation(deps: ConversationCommandDeps): Promise<void> {
  const before = shown(deps);
  if (!before) return;
  const target = await vscode.window.showSaveDialog({
    title: 'Export conversation',
    saveLabel: 'Export',
    defaultUri: vscode.Uri.joinPath(startFolder(), exportFileName(before, 'md')),
    filters: { Markdown: ['md'], JSON: ['json'] },
  });
  if (!target) return;
  // Taken again after the dialog: an answer still streaming has gone on while the user picked a name.
  const { active } = shownSessions(deps);
  const conversation = active.id === before.id ? active.conversation() : before;
  const asJson = posix.extname(target.path).toLowerCase() === '.json';
  const text = asJson ? exportJson(conversation, Date.now()) : conversationMarkdown(conversation);
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  deps.log.info(`Exported conversation ${conversation.id} as ${asJson ? 'JSON' : 'Markdown'} to ${target.toString(true)}`);
  const choice = await vscode.window.showInformationMessage(
    `Model Chat: exported “${titleOf(conversation)}” to ${posix.basename(target.path)}.`,
    'Open',
  );
  if (choice === 'Open') await vscode.window.showTextDocument(target);
}

async function copyConversation(deps: ConversationCommandDeps): Promise<void> {
  const conversation = shown(deps);
  if (!conversation) return;
  await vscode.env.clipboard.writeText(conversationMarkdown(conversation));
  vscode.window.setStatusBarMessage('$(check) Conversation copied as Markdown', 4000);
}

async function importConversation(deps: ConversationCommandDeps): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Import conversation',
    openLabel: 'Import',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: startFolder(),
    filters: { 'Conversation export (JSON)': ['json'] },
  });
  const uri = picked?.[0];
  if (!uri) return;
  const name = posix.basename(uri.path);
  const refuse = (reason: string) => {
    deps.log.warn(`Import of ${uri.toString(true)} refused: ${reason}`);
    void vscode.window.showErrorMessage(`Model Chat: ${name} cannot be imported: ${reason}.`);
  };
  const stat = await vscode.workspace.fs.stat(uri);
  // Checked before reading: a FIFO or a huge file would hang or flood the extension host.
  if (!(stat.type & vscode.FileType.File)) return refuse('it is not a regular file');
  if (stat.size > MAX_IMPORT_BYTES)
    return refuse(`the file is ${formatBytes(stat.size)}, more than the ${formatBytes(MAX_IMPORT_BYTES)} an export can be`);
  const result = parseImport(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
  if (!result.ok) return refuse(result.reason);
  await deps.store.save(result.conversation);
  deps.log.info(`Imported ${uri.toString(true)} as conversation ${result.conversation.id}`);
  await deps.revealChat();
  await deps.history.open(result.conversation.id);
  void deps.sessions.active.refreshModel();
  await deps.history.list();
  vscode.window.setStatusBarMessage(`$(check) Imported “${titleOf(result.conversation)}”`, 4000);
}
