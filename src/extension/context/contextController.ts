/**
 * The context chips above the message box: what the next question carries, kept up to date with the
 * editor. Implicit chips (instructions, selection, active file) follow the workspace and the editor and
 * are toggled; attached files and problems are added by the user and removed with their ×.
 */
import * as vscode from 'vscode';
import type { ContextChip } from '../../shared/protocol';
import { problemsAttachment, type ContextAttachment } from '../../streaming/chat/contextPrompt';
import { estimateTokens } from '../../shared/tokens';
import { INSTRUCTION_FILES, type InstructionPart } from '../../streaming/chat/instructions';
import { pickContext } from './contextPicker';
import { InstructionsWatch } from './instructionsWatch';
import {
  activeDocument,
  activeFileOf,
  parseDroppedUris,
  problemsNow,
  readFileAttachment,
  selectionOf,
  workspaceProblems,
} from './contextSources';
import { insideWorkspace } from '../workspaceFile';
import { Disposable, toDisposable, type IDisposable } from '../../shared/disposable';
import { Emitter } from '../../shared/event';
import type { MessageRouter } from '../view/messageRouter';

export interface ContextControllerOptions {
  log: vscode.LogOutputChannel;
  /** workspaceState: whether the user turned the instructions file off, per workspace. */
  state: vscode.Memento;
  /** Called whenever chips() or meterTokens() may have changed (as onDidChange fires). */
  onChange?(): void;
  /** The picker's "MCP resources…": lets the user pick servers' resources, attached with addAttachments. */
  pickResources?(): Promise<void>;
}

const INSTRUCTIONS_OFF_KEY = 'modelChat.context.instructionsOff';
/** Selection events come per keystroke while dragging; the chip needs to follow at a human pace. */
const DEBOUNCE_MS = 150;

interface Attached {
  uri: vscode.Uri;
  attachment: ContextAttachment;
  enabled: boolean;
}

export class ContextController extends Disposable {
  /** Resolves once the instructions file has been looked for (the chip is there, when there is one). */
  readonly ready: Promise<void>;
  private readonly didChange = this.register(new Emitter<void>());
  /** chips() or meterTokens() may have changed. */
  readonly onDidChange = this.didChange.event;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private selection: ContextAttachment | undefined;
  /** The document whose selection the user turned off; the chip comes back on when the selection is cleared or the editor changes. */
  private selectionOffIn: string | undefined;
  private active: { key: string; attachment: ContextAttachment } | undefined;
  /** Off by default, like VS Code chat's implicit file context; the choice stays across editor switches. */
  private activeFileOn = false;
  private readonly files = new Map<string, Attached>();
  private problems: { attachment: ContextAttachment; enabled: boolean } | undefined;
  private problemsStale = false;
  private instructions: ContextAttachment | undefined;
  /** Read once when attached (MCP resources): sent as they were read, by id. */
  private readonly fixed = new Map<string, { attachment: ContextAttachment; enabled: boolean }>();

  constructor(private readonly opts: ContextControllerOptions) {
    super();
    this.register(toDisposable(() => clearTimeout(this.timer)));
    this.register(
      vscode.window.onDidChangeTextEditorSelection((e) => {
        // Cleared: a later selection is a new one, and starts enabled (checked now, not after the debounce).
        if (e.textEditor === vscode.window.activeTextEditor && e.selections.every((s) => s.isEmpty)) this.selectionOffIn = undefined;
        this.schedule();
      }),
    );
    this.register(vscode.window.onDidChangeActiveTextEditor(() => this.schedule()));
    this.register(
      vscode.languages.onDidChangeDiagnostics(() => {
        if (!this.problems) return;
        this.problemsStale = true;
        this.schedule();
      }),
    );
    this.refresh(false);
    const watch = this.register(
      new InstructionsWatch(opts.log, (attachment) => {
        this.instructions = attachment;
        this.changed();
      }),
    );
    this.ready = watch.ready;
  }

  /** The chips' messages from the view: the + button, dropped files, a chip's toggle and ×. */
  registerMessages(router: MessageRouter): IDisposable {
    return router.register({
      addContext: () => void this.pick(),
      dropFiles: (m) => void this.addFromDrop(m.uris),
      toggleContext: (m) => this.toggle(m.id, m.enabled),
      removeContext: (m) => this.remove(m.id),
    });
  }

  chips(): ContextChip[] {
    const chip = (id: string, a: ContextAttachment, enabled: boolean, removable: boolean): ContextChip => ({
      id,
      kind: a.kind,
      label: a.label,
      tokens: a.tokens,
      enabled,
      removable,
      ...(a.detail ? { detail: a.detail } : {}),
      ...(a.note ? { note: a.note } : {}),
    });
    return [
      ...(this.instructions ? [chip('instructions', this.instructions, this.instructionsOn, false)] : []),
      ...(this.selection ? [chip('selection', this.selection, this.selectionOn, false)] : []),
      ...(this.active ? [chip('activeFile', this.active.attachment, this.activeFileOn, false)] : []),
      ...[...this.files].map(([id, f]) => chip(id, f.attachment, f.enabled, true)),
      ...[...this.fixed].map(([id, f]) => chip(id, f.attachment, f.enabled, true)),
      ...(this.problems ? [chip('problems', this.problems.attachment, this.problems.enabled, true)] : []),
    ];
  }

  /** Estimated tokens of the enabled chips and the modelChat.systemPrompt setting; the conversation is the caller's. */
  meterTokens(): number {
    const setting = vscode.workspace.getConfiguration('modelChat').get<string>('systemPrompt', '').trim();
    return this.chips().reduce((sum, c) => sum + (c.enabled ? c.tokens : 0), setting ? estimateTokens(setting) : 0);
  }

  /** What goes with the question now (instructions excepted: they go to the system prompt), read fresh. */
  async attachments(): Promise<ContextAttachment[]> {
    this.refresh(false);
    const out: ContextAttachment[] = [];
    if (this.selection && this.selectionOn) out.push(this.selection);
    if (this.active && this.activeFileOn) out.push(this.active.attachment);
    for (const f of this.files.values()) {
      if (!f.enabled) continue;
      const read = await readFileAttachment(f.uri);
      if (read.ok) out.push((f.attachment = read.attachment));
      else this.refuse([read.reason], `${f.attachment.label} was not sent`);
    }
    for (const f of this.fixed.values()) if (f.enabled) out.push(f.attachment);
    if (this.problems?.enabled) out.push((this.problems.attachment = problemsNow()));
    this.changed();
    return out;
  }

  /** The instruction parts to send: the workspace's file left out while its chip is off. */
  filterInstructions(parts: InstructionPart[]): InstructionPart[] {
    return this.instructionsOn ? parts : parts.filter((p) => !INSTRUCTION_FILES.includes(p.source));
  }

  /** Attaches files (deduplicated); folders, binary and unreadable files are refused with one message. Returns how many were added. */
  async addFiles(uris: readonly vscode.Uri[]): Promise<number> {
    const refused: string[] = [];
    let added = 0;
    for (const uri of uris) {
      const id = `file:${uri.toString()}`;
      const existing = this.files.get(id);
      if (existing) {
        existing.enabled = true;
        continue;
      }
      const read = await readFileAttachment(uri);
      if (!read.ok) refused.push(read.reason);
      else if (!this.files.has(id)) {
        this.files.set(id, { uri, attachment: read.attachment, enabled: true });
        added++;
      }
    }
    if (refused.length) this.refuse(refused, refused.length === 1 ? '' : `${refused.length} items were not attached`);
    this.changed();
    return added;
  }

  /** Attachments read elsewhere (MCP resources), each by a stable id: the same id again replaces it. */
  addAttachments(items: ReadonlyArray<{ id: string; attachment: ContextAttachment }>): void {
    for (const { id, attachment } of items) this.fixed.set(id, { attachment, enabled: true });
    if (items.length) this.changed();
  }

  /** Files dragged into the view, as the webview's uri-list strings. */
  async addFromDrop(uriStrings: readonly string[]): Promise<number> {
    const uris = parseDroppedUris(uriStrings, this.opts.log);
    // A drop comes from the page, which the host does not trust: files outside the workspace (which would
    // go to the model and into the saved conversation) are attached only when the user says so. A link in
    // the workspace that leads out of it counts as outside: a cloned repository can hold one to ~/.ssh.
    const inside = await Promise.all(uris.map((u) => insideWorkspace(u).catch(() => false)));
    const outside = uris.filter((_, i) => !inside[i]);
    if (outside.length) {
      const names =
        outside
          .slice(0, 3)
          .map((u) => u.fsPath || u.toString())
          .join(', ') + (outside.length > 3 ? ` and ${outside.length - 3} more` : '');
      const choice = await vscode.window.showWarningMessage(
        `Attach ${outside.length === 1 ? 'a file' : `${outside.length} files`} from outside the workspace to the chat? ${names}`,
        { modal: true },
        'Attach',
      );
      if (choice !== 'Attach') return this.addFiles(uris.filter((_, i) => inside[i]));
    }
    return this.addFiles(uris);
  }

  /** Adds (or refreshes) the problems chip; says so instead when there are none. */
  addProblems(): void {
    const problems = workspaceProblems();
    if (!problems.length) {
      void vscode.window.showInformationMessage('There are no problems in the workspace to attach.');
      return;
    }
    this.problems = { attachment: problemsAttachment(problems), enabled: true };
    this.changed();
  }

  /** The + button. */
  pick(): Promise<void> {
    return pickContext(this, {
      resources: this.opts.pickResources,
      selection: this.selection && !this.selectionOn ? this.selection.label : undefined,
      activeFile: this.active && !this.activeFileOn ? this.active.attachment.label : undefined,
    });
  }

  toggle(id: string, enabled: boolean): void {
    if (id === 'instructions') void this.opts.state.update(INSTRUCTIONS_OFF_KEY, !enabled);
    else if (id === 'selection') this.selectionOffIn = enabled ? undefined : vscode.window.activeTextEditor?.document.uri.toString();
    else if (id === 'activeFile') this.activeFileOn = enabled;
    else if (id === 'problems' && this.problems) this.problems.enabled = enabled;
    else if (this.files.has(id)) this.files.get(id)!.enabled = enabled;
    else if (this.fixed.has(id)) this.fixed.get(id)!.enabled = enabled;
    else return this.opts.log.warn(`No context chip ${id} to toggle`);
    this.changed();
  }

  /** Removes an attached file or the problems; the implicit chips can only be turned off, so remove does that. */
  remove(id: string): void {
    if (id === 'instructions' || id === 'selection' || id === 'activeFile') return this.toggle(id, false);
    if (id === 'problems' && this.problems) this.problems = undefined;
    else if (!this.files.delete(id) && !this.fixed.delete(id)) return this.opts.log.warn(`No context chip ${id} to remove`);
    this.changed();
  }

  /** After a question went: attached files and problems were for it; the implicit chips stay. */
  afterSend(): void {
    this.files.clear();
    this.fixed.clear();
    this.problems = undefined;
    this.changed();
  }

  private get selectionOn(): boolean {
    return this.selectionOffIn === undefined;
  }

  private get instructionsOn(): boolean {
    return !this.opts.state.get<boolean>(INSTRUCTIONS_OFF_KEY, false);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(true), DEBOUNCE_MS);
  }

  /** Reads the editor-derived chips now; `notify` tells the caller when something it shows changed. */
  private refresh(notify: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const before = notify ? JSON.stringify(this.chips()) : '';
    const editor = vscode.window.activeTextEditor;
    const document = activeDocument(editor);
    this.selection = selectionOf(editor);
    if (!this.selection || document?.uri.toString() !== this.selectionOffIn) this.selectionOffIn = undefined;
    // The whole file's text is read again only when it changed (a selection change does not change it).
    const key = document && `${document.uri.toString()}@${document.version}`;
    if (!document || !key) this.active = undefined;
    else if (this.active?.key !== key) this.active = { key, attachment: activeFileOf(document) };
    if (this.problems && this.problemsStale) this.problems.attachment = problemsNow();
    this.problemsStale = false;
    if (notify && JSON.stringify(this.chips()) !== before) this.changed();
  }

  private changed(): void {
    this.opts.onChange?.();
    this.didChange.fire();
  }

  private refuse(reasons: string[], summary: string): void {
    for (const r of reasons) this.opts.log.warn(`Context: ${r}`);
    void vscode.window.showWarningMessage(summary ? `${summary}: ${reasons.join(' ')}` : reasons[0]);
  }
}

export { addToChat, registerContextCommands } from './contextCommands';
