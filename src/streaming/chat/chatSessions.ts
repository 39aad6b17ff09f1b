import type { HostToWebview } from '../../shared/protocol';
import { ChatSession, type SessionDeps } from './chatSession';
import type { Conversation } from '../../history/conversationFormat';

export interface SessionsDeps extends Omit<SessionDeps, 'post'> {
  /** To the view, which shows one conversation: only the shown session's messages reach it. */
  post(message: HostToWebview): void;
  /** A conversation not on screen started or finished answering (the history list marks it). */
  onBackgroundChange?(): void;
  /** A conversation not on screen waits for the user to allow a tool: it would wait unseen forever. */
  onBackgroundApproval?(session: ChatSession): void;
}

/**
 * The conversations that are alive in this window: the one the view shows, plus any that are still
 * answering after the user moved on (New chat, opening another, or an Ask-model question while an answer
 * was being written). Each has its own turn, throttle and abort signal, so two answers stream at once
 * without mixing; a hidden one keeps saving to the store, and showing it again sends its snapshot, from
 * which its deltas continue.
 */
export class ChatSessions {
  private current: ChatSession;
  /** Answering, but not shown. Dropped (and disposed) when their turn ends. */
  private readonly background = new Map<string, ChatSession>();

  constructor(private readonly deps: SessionsDeps) {
    this.current = this.create();
  }

  /** The conversation the view shows. */
  get active(): ChatSession {
    return this.current;
  }

  /** Ids of the conversations answering out of sight. */
  backgroundIds(): string[] {
    return [...this.background.keys()];
  }

  /** Shows a new, empty conversation. The one shown before goes on answering if it was. */
  newChat(): ChatSession {
    if (this.current.isEmpty && !this.current.busy) {
      this.deps.post(this.current.snapshot());
      return this.current;
    }
    this.show(this.create());
    return this.current;
  }

  /**
   * Shows the conversation `id`: the live one if it is still answering, otherwise as stored. Returns false
   * when it cannot be loaded (the caller says so).
   */
  async open(id: string, load: (id: string) => Promise<Conversation | undefined>): Promise<boolean> {
    if (id === this.current.id) {
      this.deps.post(this.current.snapshot());
      return true;
    }
    const live = this.background.get(id);
    if (live) {
      this.background.delete(id);
      this.show(live);
      return true;
    }
    const conversation = await load(id);
    if (!conversation) return false;
    const session = this.create();
    session.restore(conversation);
    this.show(session);
    return true;
  }

  /** Finds a live session (shown or not) for a conversation id. */
  find(id: string): ChatSession | undefined {
    return id === this.current.id ? this.current : this.background.get(id);
  }

  dispose(): void {
    this.current.dispose();
    for (const s of this.background.values()) s.dispose();
    this.background.clear();
  }

  private show(next: ChatSession): void {
    const previous = this.current;
    this.current = next;
    if (previous.busy) {
      this.background.set(previous.id, previous);
      this.deps.onBackgroundChange?.();
    } else {
      previous.dispose();
    }
    this.deps.post(next.snapshot());
  }

  private create(): ChatSession {
    const session: ChatSession = new ChatSession({
      ...this.deps,
      post: (message) => {
        if (session === this.current) return this.deps.post(message);
        // Out of sight: the view gets its snapshot when it is shown again. A finished turn frees it.
        if (typeof message === 'string' || this.background.get(session.id) !== session) return;
        if (message.type === 'messageAdded' && message.message.tool?.state === 'pending') this.deps.onBackgroundApproval?.(session);
        if (message.type === 'busy' && !message.busy) {
          this.background.delete(session.id);
          session.dispose();
          this.deps.onBackgroundChange?.();
        }
      },
    });
    return session;
  }
}
