/**
 * Each chat's own chips. The editor's selection, its active file and the instructions file are one reading for
 * the window; what a user attached (files, MCP resources, problems) and turned on or off belongs to the chat
 * they did it in, keyed by its conversation, so it follows the conversation when it moves between the sidebar and
 * a tab and never goes with another chat's question. No vscode here: it is tested alone.
 */
import type { ContextChip } from '../../shared/protocol';
import type { ContextAttachment } from '../../streaming/chat/contextPrompt';

export interface Toggled {
  attachment: ContextAttachment;
  enabled: boolean;
}

/** An attached file: read again when sent, so its `key` (the URI) is kept. */
export interface AttachedFile<K> extends Toggled {
  key: K;
}

/** What the editor shows now, the same for every chat. */
export interface EditorReadings {
  instructions?: ContextAttachment;
  instructionsOn: boolean;
  selection?: ContextAttachment;
  activeFile?: ContextAttachment;
}

/** One chat's attachments and its choices about the implicit chips. */
export class ChatChips<K> {
  readonly files = new Map<string, AttachedFile<K>>();
  /** Read once when attached (MCP resources): sent as they were read, by id. */
  readonly fixed = new Map<string, Toggled>();
  problems: Toggled | undefined;
  /** Off by default, like VS Code chat's implicit file context; the choice stays across editor switches. */
  activeFileOn = false;
  /** The document whose selection the user turned off; the chip comes back on when the selection is cleared or the editor changes. */
  selectionOffIn: string | undefined;

  get selectionOn(): boolean {
    return this.selectionOffIn === undefined;
  }

  /** Nothing attached and nothing turned from its default: the same as a chat never seen. */
  get isDefault(): boolean {
    return !this.files.size && !this.fixed.size && !this.problems && !this.activeFileOn && this.selectionOn;
  }

  chips(editor: EditorReadings): ContextChip[] {
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
      ...(editor.instructions ? [chip('instructions', editor.instructions, editor.instructionsOn, false)] : []),
      ...(editor.selection ? [chip('selection', editor.selection, this.selectionOn, false)] : []),
      ...(editor.activeFile ? [chip('activeFile', editor.activeFile, this.activeFileOn, false)] : []),
      ...[...this.files].map(([id, f]) => chip(id, f.attachment, f.enabled, true)),
      ...[...this.fixed].map(([id, f]) => chip(id, f.attachment, f.enabled, true)),
      ...(this.problems ? [chip('problems', this.problems.attachment, this.problems.enabled, true)] : []),
    ];
  }

  /** Turns one of this chat's chips on or off; false when it has none of that id (instructions are the window's). */
  toggle(id: string, enabled: boolean, selectionIn: string | undefined): boolean {
    if (id === 'selection') this.selectionOffIn = enabled ? undefined : selectionIn;
    else if (id === 'activeFile') this.activeFileOn = enabled;
    else if (id === 'problems' && this.problems) this.problems.enabled = enabled;
    else if (this.files.has(id)) this.files.get(id)!.enabled = enabled;
    else if (this.fixed.has(id)) this.fixed.get(id)!.enabled = enabled;
    else return false;
    return true;
  }

  /** Removes an attached chip; false when there is none of that id. */
  remove(id: string): boolean {
    if (id === 'problems' && this.problems) this.problems = undefined;
    else if (!this.files.delete(id) && !this.fixed.delete(id)) return false;
    return true;
  }

  /** After a question went: attached files and problems were for it; the implicit chips' choices stay. */
  afterSend(): void {
    this.files.clear();
    this.fixed.clear();
    this.problems = undefined;
  }
}

/** Every chat's chips by conversation id; a chat back at the defaults is forgotten, so this holds only what is in use. */
export class ChatChipsByConversation<K> {
  private readonly chats = new Map<string, ChatChips<K>>();
  private readonly blank = new ChatChips<K>();

  /** The chat's chips, to read (a chat never seen reads as the defaults). */
  peek(id: string): ChatChips<K> {
    return this.chats.get(id) ?? this.blank;
  }

  /** The chat's chips, to change; call `tidy(id)` after. */
  of(id: string): ChatChips<K> {
    let chat = this.chats.get(id);
    if (!chat) this.chats.set(id, (chat = new ChatChips<K>()));
    return chat;
  }

  tidy(id: string): void {
    if (this.chats.get(id)?.isDefault) this.chats.delete(id);
  }

  /** Every chat with chips of its own, for what changes in all of them (the problems, a cleared selection). */
  all(): Array<[string, ChatChips<K>]> {
    return [...this.chats];
  }

  get size(): number {
    return this.chats.size;
  }
}
