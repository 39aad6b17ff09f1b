import type { HostToWebview, ModelLabel } from '../../shared/protocol';
import { ChatSession, type ApprovalRequest, type TurnEnd } from './chatSession';
import type { SessionDeps } from './sessionTypes';
import type { Conversation } from '../../history/conversationFormat';
import type { ConversationFork } from '../../history/storeTypes';
import { Emitter } from '../../shared/event';

export interface SessionsDeps extends Omit<SessionDeps, 'post'> {
  /** To the view, which shows one conversation: only the shown session's messages reach it. */
  post(message: HostToWebview): void;
}

/** Whether the session an event is about is the one on screen. */
export interface InSession {
  session: ChatSession;
  shown: boolean;
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
  private readonly didEndTurn = new Emitter<TurnEnd & InSession>();
  private readonly didChangeModel = new Emitter<ModelLabel>();
  private readonly didResetMessages = new Emitter<void>();
  private readonly didChangeActive = new Emitter<ChatSession>();
  private readonly didChangeBackground = new Emitter<void>();
  private readonly approvalPending = new Emitter<ApprovalRequest & InSession>();
  private readonly didFork = new Emitter<ConversationFork & InSession>();
  /** A turn ended, in the shown conversation or one out of sight. */
  readonly onDidEndTurn = this.didEndTurn.event;
  /** The shown conversation's model label may have changed. */
  readonly onDidChangeModel = this.didChangeModel.event;
  /** The shown conversation's messages were replaced or cut back. */
  readonly onDidResetMessages = this.didResetMessages.event;
  /** Another conversation is shown (its snapshot has been posted). */
  readonly onDidChangeActive = this.didChangeActive.event;
  /** A conversation not on screen started or finished answering (the history list marks it). */
  readonly onDidChangeBackground = this.didChangeBackground.event;
  /** A tool call waits for Allow; out of sight it would wait unseen forever. */
  readonly onApprovalPending = this.approvalPending.event;
  /** A live conversation went on as a copy, another window having written it differently (the user is told). */
  readonly onDidFork = this.didFork.event;

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
    for (const emitter of [
      this.didEndTurn,
      this.didChangeModel,
      this.didResetMessages,
      this.didChangeActive,
      this.didChangeBackground,
      this.approvalPending,
      this.didFork,
    ])
      emitter.dispose();
  }

  private show(next: ChatSession): void {
    const previous = this.current;
    this.current = next;
    if (previous.busy) {
      this.background.set(previous.id, previous);
      this.didChangeBackground.fire();
    } else {
      previous.dispose();
    }
    this.deps.post(next.snapshot());
    this.didChangeActive.fire(next);
  }

  private create(): ChatSession {
    const session: ChatSession = new ChatSession({
      ...this.deps,
      // Out of sight: the view gets its snapshot when it is shown again.
      post: (message) => session === this.current && this.deps.post(message),
    });
    // The session's emitters go with it (dispose), and these listeners with them.
    const shown = () => session === this.current;
    session.onDidChangeModel((model) => shown() && this.didChangeModel.fire(model));
    session.onDidResetMessages(() => shown() && this.didResetMessages.fire());
    session.onApprovalPending((request) => {
      if (shown() || this.background.get(session.id) === session) this.approvalPending.fire({ ...request, session, shown: shown() });
    });
    session.onDidFork((fork) => {
      // Out of sight it is found by its id: the new one from now on.
      if (this.background.get(fork.from) === session) {
        this.background.delete(fork.from);
        this.background.set(fork.to, session);
      }
      if (shown() || this.background.get(fork.to) === session) this.didFork.fire({ ...fork, session, shown: shown() });
    });
    session.onDidEndTurn((end) => {
      if (shown()) return this.didEndTurn.fire({ ...end, session, shown: true });
      if (this.background.get(session.id) !== session) return;
      // A finished turn frees a conversation out of sight.
      this.background.delete(session.id);
      this.didEndTurn.fire({ ...end, session, shown: false });
      session.dispose();
      this.didChangeBackground.fire();
    });
    return session;
  }
}
