import * as vscode from 'vscode';
import type { ChatContext } from './contextController';
import { activeDocument } from './contextSources';

/**
 * `modelChat.addToChat` (the Explorer's and the editor tab's context menu) and `modelChat.addContext`
 * (the + button's pick, from the palette), acting on the chat focused last. Contributions in package.json are the caller's.
 */
export function registerContextCommands(focused: () => { context: ChatContext; reveal(): Promise<void> }): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('modelChat.addToChat', (clicked?: unknown, selected?: unknown) => {
      const chat = focused();
      return addToChat(chat.context, () => chat.reveal(), clicked, selected);
    }),
    vscode.commands.registerCommand('modelChat.addContext', async () => {
      const chat = focused();
      await chat.reveal();
      await chat.context.pick();
    }),
  ];
}

/**
 * The Explorer passes the clicked file and every selected one (which includes it); an editor tab passes
 * its file and an object. From the palette there is neither: the active editor's file, else the pick.
 */
export async function addToChat(
  controller: Pick<ChatContext, 'addFiles' | 'pick'>,
  reveal: () => Promise<void>,
  clicked?: unknown,
  selected?: unknown,
): Promise<void> {
  const many = Array.isArray(selected) ? selected.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
  const uris = many.length ? many : clicked instanceof vscode.Uri ? [clicked] : [];
  const active = activeDocument(vscode.window.activeTextEditor);
  if (!uris.length && active && !active.isUntitled) uris.push(active.uri);
  if (!uris.length) return controller.pick();
  await controller.addFiles(uris);
  await reveal();
}
