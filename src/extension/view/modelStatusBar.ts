import * as vscode from 'vscode';
import type { ModelLabel } from '../../shared/protocol';
import type { ChatSessions } from '../../streaming/chat/chatSessions';
import { Disposable } from '../../shared/disposable';

/** The status bar item naming the shown conversation's model; a click selects another. */
export class ModelStatusBar extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('modelChat.model', vscode.StatusBarAlignment.Right, 100));

  constructor(private readonly sessions: ChatSessions) {
    super();
    this.item.name = 'Model Chat model';
    this.item.command = 'modelChat.selectModel';
    const follow = () => this.show(sessions.active.modelLabel());
    this.register(sessions.onDidChangeModel((model) => this.show(model)));
    this.register(sessions.onDidChangeActive(follow));
    this.register(sessions.onDidResetMessages(follow));
    follow();
  }

  show(model: ModelLabel): void {
    this.item.text = `$(sparkle) ${model.model ?? model.endpoint}`;
    this.item.tooltip = `Model Chat: ${model.endpoint} · ${model.model ?? 'no model yet'}. Click to select another model.`;
    this.item.show();
  }

  /** After the settings changed what the shown conversation uses. */
  refresh(): void {
    this.show(this.sessions.active.modelLabel());
  }
}
