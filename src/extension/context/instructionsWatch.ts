import * as vscode from 'vscode';
import type { ContextAttachment } from '../../streaming/chat/contextPrompt';
import { INSTRUCTION_FILES } from '../../streaming/chat/instructions';
import { instructionsAttachment } from './contextSources';
import { Latest } from '../../shared/abort';
import { messageOf } from '../../shared/errors';

/** Follows the workspace's instructions file (created, edited, deleted, another folder opened) for its chip. */
export class InstructionsWatch implements vscode.Disposable {
  /** Resolves once the file has been looked for the first time. */
  readonly ready: Promise<void>;
  private watcher: vscode.FileSystemWatcher | undefined;
  private readonly folders: vscode.Disposable;
  /** Saves come in bursts: only the newest read may set the chip. */
  private readonly loads = new Latest();

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly onChange: (attachment: ContextAttachment | undefined) => void,
  ) {
    this.folders = vscode.workspace.onDidChangeWorkspaceFolders(() => void this.watch());
    this.ready = this.watch();
  }

  dispose(): void {
    this.watcher?.dispose();
    this.folders.dispose();
  }

  private async watch(): Promise<void> {
    this.watcher?.dispose();
    this.watcher = undefined;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder) {
      this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, `{${INSTRUCTION_FILES.join(',')}}`));
      const reload = () => void this.load();
      this.watcher.onDidCreate(reload);
      this.watcher.onDidChange(reload);
      this.watcher.onDidDelete(reload);
    }
    await this.load();
  }

  private async load(): Promise<void> {
    const ticket = this.loads.next();
    const attachment = await instructionsAttachment().catch((err) => {
      this.log.warn(`Reading the instructions file failed: ${messageOf(err)}`);
      return undefined;
    });
    if (!ticket.isCurrent()) return;
    if (attachment && !attachment.text) this.log.warn(`Instructions file ${attachment.detail}`);
    this.onChange(attachment);
  }
}
