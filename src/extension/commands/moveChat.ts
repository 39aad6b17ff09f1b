/**
 * "Move chat to editor" and "Move chat to sidebar": the conversation moves whole (a conversation lives in one
 * place at a time, see chatSurfaces.ts); one still answering stays where its answer is being written.
 */
import * as vscode from 'vscode';
import type { HistoryController } from '../history/historyController';
import type { ChatSurfaceEntry, ChatSurfaces } from '../view/chatSurfaces';

export interface MoveChatDeps {
  surfaces: ChatSurfaces;
  /** The sidebar's surface and its history controller (which moves conversations in and out of it). */
  sidebar: { entry: ChatSurfaceEntry; history: Pick<HistoryController, 'open' | 'openInEditor'> };
  revealSidebar(): Promise<void>;
  /** Closes the editor tab of `entry`, which the move left with an empty chat. */
  closeTab(entry: ChatSurfaceEntry): void;
}

export function registerMoveChatCommands(deps: MoveChatDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('modelChat.moveChatToEditor', () => moveToEditor(deps)),
    vscode.commands.registerCommand('modelChat.moveChatToSidebar', () => moveToSidebar(deps)),
  ];
}

const nothing = (where: string) =>
  void vscode.window.showInformationMessage(`Model Chat: the chat ${where} is empty, there is nothing to move.`);
const answering = () =>
  void vscode.window.showInformationMessage('Model Chat: the conversation is answering where it is; it can move once the answer is done.');

async function moveToEditor({ sidebar }: MoveChatDeps): Promise<void> {
  const session = sidebar.entry.sessions.active;
  if (session.isEmpty) return nothing('in the sidebar');
  if (session.busy) return answering();
  await sidebar.history.openInEditor(session.id);
}

/** The focused editor chat's conversation goes to the sidebar (what the sidebar showed stays in history). */
async function moveToSidebar({ surfaces, sidebar, revealSidebar, closeTab }: MoveChatDeps): Promise<void> {
  const from = surfaces.current();
  if (!from || from === sidebar.entry)
    return void vscode.window.showInformationMessage('Model Chat: focus an editor chat to move it to the sidebar.');
  const session = from.sessions.active;
  if (session.isEmpty) return nothing('in this tab');
  if (session.busy) return answering();
  await sidebar.history.open(session.id);
  if (sidebar.entry.sessions.active.id !== session.id) return;
  await revealSidebar();
  closeTab(from);
}
