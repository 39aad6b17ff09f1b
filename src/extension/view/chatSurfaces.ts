/**
 * Every place a chat is shown in this window (the sidebar view, each editor tab) and the conversations each
 * holds. A conversation lives in one place at a time: two live copies would each save over the other's
 * messages. No vscode here: it is tested alone.
 */
import type { Conversation } from '../../history/conversationFormat';
import type { ChatSession } from '../../streaming/chat/chatSession';
import type { ChatSessions } from '../../streaming/chat/chatSessions';
import { toDisposable, type IDisposable } from '../../shared/disposable';
import type { ChatContext } from '../context/contextController';

export interface ChatSurfaceEntry {
  sessions: Pick<ChatSessions, 'active' | 'backgroundIds' | 'find' | 'newChat'>;
  /** Brings this surface to the front (focuses the view, reveals the tab). */
  reveal(): void;
  /** Its context chips ("Add file to chat" attaches to the chat focused last). */
  context?: ChatContext;
  /** The settings changed what its conversation uses (the empty state checks again, the header follows). */
  modelChanged?(): void;
}

/** What `take` found: the conversation, handed over; or it is answering where it is, which was revealed. */
export type Taken = { conversation: Conversation } | { answeringIn: ChatSurfaceEntry } | undefined;

/** Stops every answer of `sessions` (shown or not) and resolves when each turn has ended and been saved. */
export async function stopAll(sessions: Pick<ChatSessions, 'active' | 'backgroundIds' | 'find'>): Promise<void> {
  const running = [sessions.active, ...[...sessions.backgroundIds()].map((id) => sessions.find(id))].filter(
    (s): s is ChatSession => !!s?.busy,
  );
  for (const session of running) session.stop();
  await Promise.all(running.map((s) => s.idle()));
}

export class ChatSurfaces {
  private readonly entries = new Set<ChatSurfaceEntry>();
  /** The surface the user was in last: Stop, Export and the other commands act on its conversation. */
  private focused: ChatSurfaceEntry | undefined;

  add(entry: ChatSurfaceEntry): IDisposable {
    this.entries.add(entry);
    return toDisposable(() => {
      this.entries.delete(entry);
      if (this.focused === entry) this.focused = undefined;
    });
  }

  /** The user is in `entry` (its tab became active, or the sidebar view was shown). */
  focus(entry: ChatSurfaceEntry): void {
    if (this.entries.has(entry)) this.focused = entry;
  }

  /** The surface focused last, else the first added (the sidebar); undefined when there is none. */
  current(): ChatSurfaceEntry | undefined {
    return this.focused ?? this.entries.values().next().value;
  }

  /** The live session of conversation `id`, wherever it is (optionally not counting `except`). */
  locate(id: string, except?: ChatSurfaceEntry): { entry: ChatSurfaceEntry; session: ChatSession } | undefined {
    for (const entry of this.entries) {
      if (entry === except) continue;
      const session = entry.sessions.find(id);
      if (session) return { entry, session };
    }
    return undefined;
  }

  /** Shown or answering anywhere: never deleted or pruned from under the user. */
  inUse(): Set<string> {
    const ids = new Set<string>();
    for (const { sessions } of this.entries) {
      if (!sessions.active.isEmpty) ids.add(sessions.active.id);
      for (const id of sessions.backgroundIds()) ids.add(id);
    }
    return ids;
  }

  /** Answering anywhere (the history list marks these). */
  answering(): Set<string> {
    const ids = new Set<string>();
    for (const { sessions } of this.entries) {
      if (sessions.active.busy) ids.add(sessions.active.id);
      for (const id of sessions.backgroundIds()) ids.add(id);
    }
    return ids;
  }

  modelChanged(): void {
    for (const entry of this.entries) entry.modelChanged?.();
  }

  /** Whether any surface has an answer being written. */
  anyAnswering(): boolean {
    return this.answering().size > 0;
  }

  /**
   * Moves conversation `id` out of wherever it is shown (other than `to`), which then shows a new empty
   * chat. One that is answering stays where it is: its turn posts to that surface, so it is revealed
   * there instead. Undefined when it is not live anywhere else (load it from the store).
   */
  take(id: string, to?: ChatSurfaceEntry): Taken {
    const found = this.locate(id, to);
    if (!found) return undefined;
    if (found.session.busy) {
      found.entry.reveal();
      return { answeringIn: found.entry };
    }
    const conversation = found.session.conversation();
    // The new chat's header names its model only once the model is looked up (as New chat does).
    if (found.entry.sessions.active === found.session) void found.entry.sessions.newChat().refreshModel();
    return { conversation };
  }
}
