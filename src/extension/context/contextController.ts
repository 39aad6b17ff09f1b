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
import { Emitter, type Event } from '../../shared/event';
import { ChatChipsByConversation, type ChatChips, type EditorReadings } from './chatChips';
import type { MessageRouter } from '../view/messageRouter';

export interface ContextControllerOptions {
  log: vscode.LogOutputChannel;
  /** workspaceState: whether the user turned the instructions file off, per workspace. */
  state: vscode.Memento;
  /** Called whenever chips() or meterTokens() may have changed (as onDidChange fires). */
  onChange?(): void;
  /** The picker's "MCP resources…": lets the user pick servers' resources, handed to `attach`. */
  pickResources?(attach: (items: Items) => void): Promise<void>;
}

const INSTRUCTIONS_OFF_KEY = 'modelChat.context.instructionsOff';
/** Selection events come per keystroke while dragging; the chip needs to follow at a human pace. */
const DEBOUNCE_MS = 150;

type Items = ReadonlyArray<{ id: string; attachment: ContextAttachment }>;

/** One chat's view of the chips: what its page shows and what its questions carry. */
export interface ChatContext {
  /** Resolves once the instructions file has been looked for (the chip is there, when there is one). */
  readonly ready: Promise<void>;
  /** This chat's chips() or meterTokens() may have changed. */
  readonly onDidChange: Event<void>;
  chips(): ContextChip[];
  /** Estimated tokens of the enabled chips and the modelChat.systemPrompt setting; the conversation is the caller's. */
  meterTokens(): number;
  /** What goes with the question now (instructions excepted: they go to the system prompt), read fresh. */
  attachments(): Promise<ContextAttachment[]>;
  /** After a question went: attached files and problems were for it; the implicit chips stay. */
  afterSend(): void;
  /** Attaches files (deduplicated); folders, binary and unreadable files are refused with one message. Returns how many were added. */
  addFiles(uris: readonly vscode.Uri[]): Promise<number>;
  /** Attachments read elsewhere (MCP resources), each by a stable id: the same id again replaces it. */
  addAttachments(items: Items): void;
  /** Files dragged into the view, as the webview's uri-list strings. */
  addFromDrop(uriStrings: readonly string[]): Promise<number>;
  /** Adds (or refreshes) the problems chip; says so instead when there are none. */
  addProblems(): void;
  /** The + button. */
  pick(): Promise<void>;
  toggle(id: string, enabled: boolean): void;
  /** Removes an attached file or the problems; the implicit chips can only be turned off, so remove does that. */
  remove(id: string): void;
  /** The chips' messages from this chat's page: the + button, dropped files, a chip's toggle and ×. */
  registerMessages(router: MessageRouter): IDisposable;
}

/**
 * The chips of every chat in the window. The editor-derived readings (selection, active file, instructions) are
 * made once here; each chat's attachments and choices are its own (chatChips.ts), reached through `forChat`.
 */
export class ContextController extends Disposable {
  /** Resolves once the instructions file has been looked for (the chip is there, when there is one). */
  readonly ready: Promise<void>;
  /** Fires the conversation whose chips changed, or undefined when the window's readings did (every chat's). */
  private readonly didChange = this.register(new Emitter<string | undefined>());
  private timer: ReturnType<typeof setTimeout> | undefined;
  private selection: ContextAttachment | undefined;
  private active: { key: string; attachment: ContextAttachment } | undefined;
  private problemsStale = false;
  private instructions: ContextAttachment | undefined;
  private readonly chats = new ChatChipsByConversation<vscode.Uri>();

  constructor(private readonly opts: ContextControllerOptions) {
    super();
    this.register(toDisposable(() => clearTimeout(this.timer)));
    this.register(
      vscode.window.onDidChangeTextEditorSelection((e) => {
        // Cleared: a later selection is a new one, and starts enabled (checked now, not after the debounce).
        if (e.textEditor === vscode.window.activeTextEditor && e.selections.every((s) => s.isEmpty))
          this.eachChat((chat) => (chat.selectionOffIn = undefined));
        this.schedule();
      }),
    );
    this.register(vscode.window.onDidChangeActiveTextEditor(() => this.schedule()));
    this.register(
      vscode.languages.onDidChangeDiagnostics(() => {
        if (!this.chats.all().some(([, chat]) => chat.problems)) return;
        this.problemsStale = true;
        this.schedule();
      }),
    );
    this.refresh(false);
    const watch = this.register(
      new InstructionsWatch(opts.log, (attachment) => {
        this.instructions = attachment;
        this.changed(undefined);
      }),
    );
    this.ready = watch.ready;
  }

  /** The chips of the chat showing conversation `chatId()` (read at each call: a surface's conversation changes). */
  forChat(chatId: () => string): ChatContext {
    const ctx: ChatContext = {
      ready: this.ready,
      onDidChange: (listener) => this.didChange.event((id) => (id === undefined || id === chatId()) && listener()),
      chips: () => this.chats.peek(chatId()).chips(this.readings()),
      meterTokens: () => {
        const setting = vscode.workspace.getConfiguration('modelChat').get<string>('systemPrompt', '').trim();
        return ctx.chips().reduce((sum, c) => sum + (c.enabled ? c.tokens : 0), setting ? estimateTokens(setting) : 0);
      },
      attachments: () => this.attachments(chatId()),
      afterSend: () => this.update(chatId(), (chat) => chat.afterSend()),
      addFiles: (uris) => this.addFiles(chatId(), uris),
      addAttachments: (items) => this.addAttachments(chatId(), items),
      addFromDrop: (uris) => this.addFromDrop(chatId(), uris),
      addProblems: () => this.addProblems(chatId()),
      pick: () => this.pick(chatId()),
      toggle: (id, enabled) => this.toggle(chatId(), id, enabled),
      remove: (id) => this.remove(chatId(), id),
      registerMessages: (router) =>
        router.register({
          addContext: () => void ctx.pick(),
          dropFiles: (m) => void ctx.addFromDrop(m.uris),
          toggleContext: (m) => ctx.toggle(m.id, m.enabled),
          removeContext: (m) => ctx.remove(m.id),
        }),
    };
    return ctx;
  }

  /** The instruction parts to send: the workspace's file left out while its chip is off. */
  filterInstructions(parts: InstructionPart[]): InstructionPart[] {
    return this.instructionsOn ? parts : parts.filter((p) => !INSTRUCTION_FILES.includes(p.source));
  }

  private readings(): EditorReadings {
    return {
      instructions: this.instructions,
      instructionsOn: this.instructionsOn,
      selection: this.selection,
      activeFile: this.active?.attachment,
    };
  }

  private async attachments(id: string): Promise<ContextAttachment[]> {
    this.refresh(false);
    const chat = this.chats.peek(id);
    const out: ContextAttachment[] = [];
    if (this.selection && chat.selectionOn) out.push(this.selection);
    if (this.active && chat.activeFileOn) out.push(this.active.attachment);
    for (const f of chat.files.values()) {
      if (!f.enabled) continue;
      const read = await readFileAttachment(f.key);
      if (read.ok) out.push((f.attachment = read.attachment));
      else this.refuse([read.reason], `${f.attachment.label} was not sent`);
    }
    for (const f of chat.fixed.values()) if (f.enabled) out.push(f.attachment);
    if (chat.problems?.enabled) out.push((chat.problems.attachment = problemsNow()));
    this.changed(id);
    return out;
  }

  private async addFiles(id: string, uris: readonly vscode.Uri[]): Promise<number> {
    const refused: string[] = [];
    let added = 0;
    for (const uri of uris) {
      const fileId = `file:${uri.toString()}`;
      const existing = this.chats.peek(id).files.get(fileId);
      if (existing) {
        existing.enabled = true;
        continue;
      }
      const read = await readFileAttachment(uri);
      if (!read.ok) refused.push(read.reason);
      else if (!this.chats.peek(id).files.has(fileId)) {
        this.chats.of(id).files.set(fileId, { key: uri, attachment: read.attachment, enabled: true });
        added++;
      }
    }
    if (refused.length) this.refuse(refused, refused.length === 1 ? '' : `${refused.length} items were not attached`);
    this.changed(id);
    return added;
  }

  private addAttachments(id: string, items: Items): void {
    if (!items.length) return;
    this.update(id, (chat) => {
      for (const { id: itemId, attachment } of items) chat.fixed.set(itemId, { attachment, enabled: true });
    });
  }

  private async addFromDrop(id: string, uriStrings: readonly string[]): Promise<number> {
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
      if (choice !== 'Attach')
        return this.addFiles(
          id,
          uris.filter((_, i) => inside[i]),
        );
    }
    return this.addFiles(id, uris);
  }

  private addProblems(id: string): void {
    const problems = workspaceProblems();
    if (!problems.length) {
      void vscode.window.showInformationMessage('There are no problems in the workspace to attach.');
      return;
    }
    this.update(id, (chat) => (chat.problems = { attachment: problemsAttachment(problems), enabled: true }));
  }

  private pick(id: string): Promise<void> {
    const chat = this.chats.peek(id);
    const { pickResources } = this.opts;
    return pickContext(
      { addFiles: (uris) => this.addFiles(id, uris), addProblems: () => this.addProblems(id), toggle: (c, on) => this.toggle(id, c, on) },
      {
        // Resources picked from this chat's + go to this chat, even if the user has gone elsewhere meanwhile.
        resources: pickResources && (() => pickResources((items) => this.addAttachments(id, items))),
        selection: this.selection && !chat.selectionOn ? this.selection.label : undefined,
        activeFile: this.active && !chat.activeFileOn ? this.active.attachment.label : undefined,
      },
    );
  }

  private toggle(id: string, chipId: string, enabled: boolean): void {
    if (chipId === 'instructions') {
      void this.opts.state.update(INSTRUCTIONS_OFF_KEY, !enabled);
      return this.changed(undefined);
    }
    const selectionIn = vscode.window.activeTextEditor?.document.uri.toString();
    if (!this.update(id, (chat) => chat.toggle(chipId, enabled, selectionIn))) this.opts.log.warn(`No context chip ${chipId} to toggle`);
  }

  private remove(id: string, chipId: string): void {
    if (chipId === 'instructions' || chipId === 'selection' || chipId === 'activeFile') return this.toggle(id, chipId, false);
    if (!this.update(id, (chat) => chat.remove(chipId))) this.opts.log.warn(`No context chip ${chipId} to remove`);
  }

  /** Changes one chat's chips; a change that did nothing (`false`) is not announced. */
  private update(id: string, change: (chat: ChatChips<vscode.Uri>) => unknown): boolean {
    const done = change(this.chats.of(id)) !== false;
    this.chats.tidy(id);
    if (done) this.changed(id);
    return done;
  }

  private eachChat(change: (chat: ChatChips<vscode.Uri>) => void): void {
    for (const [id, chat] of this.chats.all()) {
      change(chat);
      this.chats.tidy(id);
    }
  }

  private get instructionsOn(): boolean {
    return !this.opts.state.get<boolean>(INSTRUCTIONS_OFF_KEY, false);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(true), DEBOUNCE_MS);
  }

  /** What every chat's chips show of the editor: compared before and after a refresh. */
  private shownKey(): string {
    return JSON.stringify([this.readings(), this.chats.all().map(([id, chat]) => [id, chat.selectionOn, chat.problems?.attachment])]);
  }

  /** Reads the editor-derived chips now; `notify` tells the chats when something they show changed. */
  private refresh(notify: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const before = notify ? this.shownKey() : '';
    const editor = vscode.window.activeTextEditor;
    const document = activeDocument(editor);
    this.selection = selectionOf(editor);
    const selectionIn = this.selection && document?.uri.toString();
    this.eachChat((chat) => {
      if (chat.selectionOffIn !== selectionIn) chat.selectionOffIn = undefined;
    });
    // The whole file's text is read again only when it changed (a selection change does not change it).
    const key = document && `${document.uri.toString()}@${document.version}`;
    if (!document || !key) this.active = undefined;
    else if (this.active?.key !== key) this.active = { key, attachment: activeFileOf(document) };
    if (this.problemsStale) this.eachChat((chat) => chat.problems && (chat.problems.attachment = problemsNow()));
    this.problemsStale = false;
    if (notify && this.shownKey() !== before) this.changed(undefined);
  }

  private changed(id: string | undefined): void {
    this.opts.onChange?.();
    this.didChange.fire(id);
  }

  private refuse(reasons: string[], summary: string): void {
    for (const r of reasons) this.opts.log.warn(`Context: ${r}`);
    void vscode.window.showWarningMessage(summary ? `${summary}: ${reasons.join(' ')}` : reasons[0]);
  }
}

export { addToChat, registerContextCommands } from './contextCommands';
