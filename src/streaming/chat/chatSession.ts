import { randomUUID } from 'node:crypto';
import type { AnswerNote, ErrorAction, HostToWebview, ImageLabel, MessageSnapshot, ModelLabel } from '../../shared/protocol';
import { AnswerStream } from './answerStream';
import { AfterPosts } from './afterPosts';
import { fromStored, toStored } from './sessionMessages';
import { withSources } from '../../shared/answerText';
import { titleOf, type Conversation } from '../../history/conversationFormat';
import type { StoredAttachment } from '../../history/storedMessage';
import { modelHistory } from './modelHistory';
import { userContent } from './contextPrompt';
import type { ChatMessage, ChatProvider } from '../providers/provider';
import { Pace } from '../pacing/throttle';
import { monotonicClock } from '../../shared/clock';
import { describe } from './answerInfo';
import type { Decision } from '../../tools/toolCalls';
import type { SessionDeps } from './sessionTypes';
import type { ConversationFork } from '../../history/storeTypes';
import { Emitter } from '../../shared/event';
import type { IDisposable } from '../../shared/disposable';
import { ToolRound } from './toolRound';
import { endOf, newRunningTurn, runTurnLoop, type RunningTurn, type TurnHost } from './turnLoop';
import { compactionCut, fromLastSummary, summaryPreamble } from './compaction';
import { runCompaction } from './compactTurn';
import { SessionModel } from './sessionModel';
import { UndoneSummaries } from './undoneSummaries';
import { SessionImages } from './sessionImages';
import { MessageExtras } from './messageExtras';

export { LOADING } from './turnLoop';

/** The question Continue sends after an answer cut at the token limit. */
export const CONTINUE_PROMPT = 'Continue exactly where your last answer was cut off, without repeating what you already wrote.';

/** How a turn ended: its last answer's state, or stopped when Stop came between rounds. */
export interface TurnEnd {
  state: 'done' | 'stopped' | 'error';
}

/** A tool call that waits for the user's Allow (its card's message id and the tool's name). */
export interface ApprovalRequest {
  id: string;
  tool: string;
}

/**
 * The host's copy of one conversation and the turn running in it. The webview only mirrors this: when it
 * reloads or becomes visible again it gets a snapshot, so a hidden view loses nothing.
 */
export class ChatSession implements TurnHost {
  private messages: MessageSnapshot[] = [];
  private turn: RunningTurn | undefined;
  private readonly model: SessionModel;
  /** The context the server reported for the model of the last turn; undefined until then, or when it does not say. */
  contextLimit: number | undefined;
  private conversationId: string = randomUUID();
  private createdAt = Date.now();
  /** Set when the user renamed the conversation (kept so a save does not undo the rename). */
  private title: string | undefined;
  private readonly extras = new MessageExtras();
  readonly tools: ToolRound;
  /** Every streamed post of this conversation (text, reasoning, tool progress) shares one spacing: the cap holds for all of them together. */
  private readonly pace = new Pace();
  /** Checkpoints are made after the update that asked for one has been posted. */
  private readonly checkpoint = new AfterPosts(() => {
    if (this.messages.length) this.deps.persist?.checkpoint(this.conversation());
  });
  private readonly undoneSummaries = new UndoneSummaries();
  /** The bytes of the questions' images (the messages carry their labels). */
  readonly images: SessionImages;
  private readonly didEndTurn = new Emitter<TurnEnd>();
  private readonly didChangeModel = new Emitter<ModelLabel>();
  private readonly didResetMessages = new Emitter<void>();
  private readonly approvalPending = new Emitter<ApprovalRequest>();
  private readonly didFork = new Emitter<ConversationFork>();
  private readonly forks: IDisposable | undefined;
  /** A turn ended (done, stopped or failed), after its answer's last post went out. */
  readonly onDidEndTurn = this.didEndTurn.event;
  /** The model label may have changed (the endpoint named its first model). */
  readonly onDidChangeModel = this.didChangeModel.event;
  /** The messages were replaced or cut back (restore, clear, edit, regenerate, retry): counts made from them are stale. */
  readonly onDidResetMessages = this.didResetMessages.event;
  /** A tool call waits for the user's Allow; nothing else would tell a user who is not looking. */
  readonly onApprovalPending = this.approvalPending.event;
  /**
   * Another window wrote this conversation differently, so the store kept ours as a copy: the session is
   * that copy now (its id and title), and the old id holds the other window's version.
   */
  readonly onDidFork = this.didFork.event;

  constructor(readonly deps: SessionDeps) {
    this.images = new SessionImages(deps.images, deps.log);
    this.model = new SessionModel(deps, (model) => {
      this.deps.post({ type: 'model', model });
      this.didChangeModel.fire(model);
    });
    this.forks = deps.persist?.onDidFork?.((fork) => fork.from === this.conversationId && this.adoptFork(fork));
    this.tools = new ToolRound({
      deps,
      pace: this.pace,
      addCard: (item, call) => {
        this.extras.recordCall(item.id, call);
        this.messages.push(item);
        this.deps.post({ type: 'messageAdded', message: structuredClone(item) });
        this.save('flush');
      },
      recordedCall: (id) => this.extras.call(id),
      save: (how) => this.save(how),
      approvalPending: (id, tool) => this.approvalPending.fire({ id, tool }),
    });
  }

  get busy(): boolean {
    return this.turn !== undefined;
  }

  /** The conversation's id in the store. */
  get id(): string {
    return this.conversationId;
  }

  /** The title the store shows for this conversation. */
  get displayTitle(): string {
    return titleOf({ title: this.title, messages: this.messages.map((m) => ({ ...m, context: undefined })) });
  }

  /** Keeps a rename done in the history list, so the next save does not write the old title back. */
  setTitle(title: string | undefined): void {
    this.title = title;
  }

  /** The conversation as the webview should show it. Text not yet flushed stays out: its delta follows. */
  snapshot(): Extract<HostToWebview, { type: 'snapshot' }> {
    return {
      type: 'snapshot',
      messages: this.messages.map((m) => ({ ...m })),
      busy: this.busy,
      model: this.modelLabel(),
      conversationId: this.conversationId,
    };
  }

  modelLabel(): ModelLabel {
    return this.model.label();
  }

  /**
   * Starts a turn. `context` goes with the question (files, selection, problems), exactly as given.
   * Returns false (and changes nothing) when one is already running.
   */
  send(text: string, context: StoredAttachment[] = [], images: ImageLabel[] = []): boolean {
    if (this.turn) return false;
    const user: MessageSnapshot = { id: randomUUID(), role: 'user', text, state: 'done', seq: 0 };
    if (images.length) user.images = images.map((i) => ({ ...i }));
    if (context.length) user.context = context.map((a) => ({ kind: a.kind, label: a.label, tokens: a.tokens }));
    this.extras.attach(user.id, context);
    this.messages.push(user);
    this.deps.post({ type: 'messageAdded', message: { ...user } });
    this.startTurn();
    this.save('flush');
    return true;
  }

  /**
   * Replaces the question `messageId` (and everything after it) with `text` and asks again, with the
   * context the question had. The conversation as it was is kept as a separate conversation, whose copy
   * is returned (the caller stores it and says so): an edit never silently destroys the old branch.
   */
  editAndResend(messageId: string, text: string): { earlier: Conversation } | undefined {
    const index = this.messages.findIndex((m) => m.id === messageId && m.role === 'user');
    if (this.turn || index < 0) return undefined;
    const earlier = this.conversation();
    earlier.id = randomUUID();
    earlier.title = `${this.displayTitle} (before edit)`;
    const context = this.extras.context(messageId);
    const images = this.messages[index].images ?? [];
    for (const m of this.messages.splice(index)) this.extras.forget(m.id);
    this.postSnapshot();
    this.send(text, context, images);
    return { earlier };
  }

  /** Asks again for the last answer of the conversation (all of its rounds), whatever state it ended in. */
  regenerate(messageId: string): boolean {
    const lastQuestion = this.messages.map((m) => m.role).lastIndexOf('user');
    // The last answer, even when tool cards follow it (a turn stopped while its tools waited or ran).
    const lastAnswer = this.messages.filter((m, i) => i > lastQuestion && m.role === 'assistant').at(-1);
    if (this.turn || lastQuestion < 0 || lastAnswer?.id !== messageId) return false;
    for (const m of this.messages.splice(lastQuestion + 1)) this.extras.forget(m.id);
    this.postSnapshot();
    this.startTurn();
    this.save('flush');
    return true;
  }

  /** A message's own markdown, for Copy, with the pages it cites as a list after it. */
  messageText(messageId: string): string | undefined {
    const message = this.messages.find((m) => m.id === messageId);
    return message && withSources(message.text, message.sources);
  }

  /**
   * Asks the model to go on with the last answer, which the server cut at its token limit. It goes as a
   * visible follow-up question with its own answer rather than spliced onto the cut one: the continuation
   * is a new request that may restart a sentence or a code block, and as its own answer the seam shows and
   * Regenerate, Retry and Edit work on it like on any other.
   */
  continue(messageId: string): boolean {
    const last = this.messages.at(-1);
    if (this.turn || last?.id !== messageId || last.role !== 'assistant' || last.cut !== 'length') return false;
    return this.send(CONTINUE_PROMPT);
  }

  /** Characters of the conversation so far as the model would get it (the context meter estimates tokens from them). */
  historyChars(): number {
    return this.history().reduce((n, m) => n + (typeof m.content === 'string' ? m.content.length : 0), 0);
  }

  stop(): void {
    this.turn?.controller.abort();
  }

  /** Resends the question behind a failed or stopped last answer, replacing that answer. */
  retry(messageId: string): boolean {
    const last = this.messages[this.messages.length - 1];
    if (this.turn || !last || last.id !== messageId || last.role !== 'assistant' || last.state === 'done') return false;
    this.messages.pop();
    this.postSnapshot();
    this.startTurn();
    this.save('flush');
    return true;
  }

  async clear(): Promise<void> {
    const running = this.turn;
    running?.controller.abort();
    await running?.ended;
    this.messages = [];
    this.extras.clear();
    this.images.clear();
    this.undoneSummaries.clear();
    this.conversationId = randomUUID();
    this.createdAt = Date.now();
    this.title = undefined;
    this.postSnapshot();
  }

  /** The message an error action belongs to, so the host can carry the action out. */
  errorAction(messageId: string, index: number): ErrorAction | undefined {
    return this.messages.find((m) => m.id === messageId)?.error?.actions[index];
  }

  /** Waits for the running turn, if any, to finish (tests and shutdown). */
  async idle(): Promise<void> {
    await this.turn?.ended;
  }

  /** The user's answer on an approval card. */
  resolveApproval(id: string, decision: Decision): void {
    this.tools.resolveApproval(id, decision);
  }

  /** Cancels one running tool call; the rest of the turn goes on. */
  cancelTool(id: string): void {
    this.tools.cancel(id);
  }

  dispose(): void {
    const turn = this.turn;
    turn?.controller.abort();
    turn?.answer.dispose();
    this.tools.dispose();
    turn?.markEnded();
    this.turn = undefined;
    this.forks?.dispose();
    this.checkpoint.runNow();
    for (const emitter of [this.didEndTurn, this.didChangeModel, this.didResetMessages, this.approvalPending, this.didFork])
      emitter.dispose();
  }

  /** Whether nothing has been said yet in this conversation. */
  get isEmpty(): boolean {
    return this.messages.length === 0;
  }

  /**
   * Shows a stored conversation and continues it. An answer the editor was still writing when it closed
   * comes back as an error that says so, with Retry; so does a tool call that was still running.
   */
  restore(conversation: Conversation): boolean {
    if (this.turn) return false;
    this.conversationId = conversation.id;
    this.createdAt = conversation.createdAt;
    this.title = conversation.title;
    this.extras.load(conversation.messages);
    this.images.clear();
    this.messages = this.undoneSummaries.restore(conversation.messages).map(fromStored);
    this.postSnapshot();
    return true;
  }

  /** The conversation as it is stored. Text still in a throttle is at most one update behind. */
  conversation(): Conversation {
    const { endpoint, model } = this.model.recorded();
    return {
      id: this.conversationId,
      ...(this.title ? { title: this.title } : {}),
      createdAt: this.createdAt,
      updatedAt: Date.now(),
      model: { endpoint, model },
      // Summaries stay where they were made (undone ones too), so a reopened conversation sends the same without summarising again.
      messages: this.undoneSummaries.interleave(this.messages.map((m) => this.extras.stored(m))),
    };
  }

  /** Goes on as the store's copy, so saves, the history list's marker, rename and delete all mean the copy. */
  private adoptFork(fork: ConversationFork): void {
    this.conversationId = fork.to;
    this.title = fork.title;
    // The page keys open forms for input to the conversation's id; the messages themselves are unchanged.
    this.deps.post(this.snapshot());
    this.didFork.fire(fork);
  }

  /** The view, and whatever counts the messages, start over from the whole conversation. */
  private postSnapshot(): void {
    this.deps.post(this.snapshot());
    this.didResetMessages.fire();
  }

  private save(how: 'checkpoint' | 'flush'): void {
    const persist = this.deps.persist;
    if (!persist || this.messages.length === 0) return;
    if (how === 'checkpoint') return this.checkpoint.request();
    this.checkpoint.cancel();
    persist.flush(this.conversation()).catch((err) => this.deps.log.error(`Saving the conversation failed: ${describe(err)}`));
  }

  /** Asks the endpoint for its first model when none is configured, so the header can name it. */
  refreshModel(signal?: AbortSignal): Promise<void> {
    return this.model.refresh(signal);
  }

  private startTurn(): void {
    const turn = this.begin(this.addAnswer());
    void runTurnLoop(this, turn, turn.controller.signal).finally(() => this.finishTurn());
  }

  private begin(answer: AnswerStream): RunningTurn {
    const turn = (this.turn = newRunningTurn(answer));
    this.model.hold();
    this.deps.post({ type: 'busy', busy: true });
    return turn;
  }

  /** A new answer message (one per round of a turn, or a compaction's `summary` shown at `at`), with the throttles that stream it. */
  addAnswer(summary?: { covers: number }, at = this.messages.length): AnswerStream {
    const answer = new AnswerStream({
      maxUpdatesPerSecond: this.deps.config().maxUpdatesPerSecond,
      clock: this.deps.clock ?? monotonicClock,
      pace: this.pace,
      post: (message) => this.deps.post(message),
      save: (how) => this.save(how),
    });
    if (summary) answer.message.summary = summary;
    this.messages.splice(at, 0, answer.message);
    if (at === this.messages.length - 1) this.deps.post({ type: 'messageAdded', message: { ...answer.message } });
    else this.postSnapshot();
    return answer;
  }

  private finishTurn(): void {
    const turn = this.turn;
    turn?.markEnded();
    this.turn = undefined;
    this.model.release();
    this.deps.post({ type: 'busy', busy: false });
    // Not after dispose(): that ended the turn already, and nobody listens to a session that is gone.
    if (turn) this.didEndTurn.fire({ state: endOf(turn) });
  }

  setNote(message: MessageSnapshot, note: AnswerNote): void {
    message.note = note;
    this.deps.post({ type: 'note', id: message.id, note });
  }

  /** The action behind a button of an answer's note. */
  noteAction(messageId: string, index: number): ErrorAction | undefined {
    return this.messages.find((m) => m.id === messageId)?.note?.actions[index];
  }

  setStatus(message: MessageSnapshot, status: string | undefined): void {
    message.status = status;
    this.deps.post({ type: 'status', id: message.id, status });
  }

  firstModel(provider: ChatProvider, signal: AbortSignal): Promise<string | undefined> {
    return this.model.first(provider, signal);
  }

  canSee(signal: AbortSignal): Promise<boolean> {
    return this.model.canSee(signal);
  }

  /**
   * The conversation as the model sees it before the answer being written, tool calls and their results
   * included; after a compaction, the summary (as a system message) and what follows it.
   */
  history(): ChatMessage[] {
    return this.historyBefore(this.messages.length);
  }

  historyBefore(index: number): ChatMessage[] {
    const { summary, rest } = fromLastSummary(this.messages.slice(0, index));
    const history = modelHistory(rest, {
      question: (m) => userContent(m.text, this.extras.context(m.id)),
      images: (m) => this.images.forModel(m.images),
      call: (cardId) => this.extras.call(cardId),
    });
    return summary === undefined ? history : [{ role: 'system', content: summaryPreamble(summary) }, ...history];
  }

  get messageList(): readonly MessageSnapshot[] {
    return this.messages;
  }

  insertSummary(index: number): AnswerStream {
    return this.addAnswer({ covers: index }, index);
  }

  /** Summarises the older part of the conversation now (as a turn: Stop ends it). False when busy or nothing is older. */
  compact(): boolean {
    const cut = compactionCut(this.messages);
    if (this.turn || cut < 0) return false;
    const turn = this.begin(this.insertSummary(cut));
    void runCompaction(this, turn.answer, cut, turn.controller.signal).finally(() => this.finishTurn());
    return true;
  }

  /** Removes a summary: the messages it covered (never deleted) go to the model again. */
  undoSummary(id: string): boolean {
    const index = this.messages.findIndex((m) => m.id === id && m.summary);
    if (this.turn || index < 0) return false;
    const [summary] = this.messages.splice(index, 1);
    this.undoneSummaries.add(toStored(summary, undefined), this.messages[index - 1]?.id);
    this.postSnapshot();
    this.save('flush');
    return true;
  }
}
