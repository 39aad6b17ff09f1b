import { randomUUID } from 'node:crypto';
import type { ErrorAction, HostToWebview, ImageLabel, MessageSnapshot, ModelLabel, ToolCallInfo } from '../../shared/protocol';
import { AnswerStream } from './answerStream';
import { fromStored, toStored, withSources } from './sessionMessages';
import { MAX_TOOL_ROUNDS, type ToolDescriptor } from '../../tools/toolSupport';
import { titleOf, type Conversation } from '../../history/conversationFormat';
import type { StoredAttachment, StoredToolCall } from '../../history/storedMessage';
import { modelHistory, newCallId } from './modelHistory';
import { userContent } from './contextPrompt';
import { SessionImages } from './sessionImages';
import type { ProviderError, ToolCall } from '../providers/events';
import { ProviderFailure, type ChatMessage, type ChatProvider } from '../providers/provider';
import { runTurn } from './chatTurn';
import { Pace } from '../pacing/throttle';
import { monotonicClock } from '../../shared/clock';
import { LatestPerKey } from '../pacing/latestPerKey';
import { answerMetrics, contextWarning, describe, SUGGESTED_MODEL, toErrorInfo } from './answerInfo';
import { ToolCalls, type Decision } from '../../tools/toolCalls';
import { systemPrompt } from './instructions';
import type { SessionDeps } from './sessionTypes';
import type { ConversationFork } from '../../history/storeTypes';
import { race } from '../../shared/abort';
import { Emitter } from '../../shared/event';
import type { IDisposable } from '../../shared/disposable';

/** Shown when the first token takes longer than LOADING_AFTER_MS. */
export const LOADING = 'Loading the model… (the first answer after a while can take some seconds)';
const LOADING_AFTER_MS = 1500;

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

interface RunningTurn {
  controller: AbortController;
  /** The answer of the current round. */
  answer: AnswerStream;
  ended: Promise<void>;
  markEnded(): void;
}

/**
 * The host's copy of one conversation and the turn running in it. The webview only mirrors this: when it
 * reloads or becomes visible again it gets a snapshot, so a hidden view loses nothing.
 */
export class ChatSession {
  private messages: MessageSnapshot[] = [];
  private turn: RunningTurn | undefined;
  private resolvedModel: string | undefined;
  private conversationId: string = randomUUID();
  private createdAt = Date.now();
  /** Set when the user renamed the conversation (kept so a save does not undo the rename). */
  private title: string | undefined;
  /** What went with each question, exactly as the model got it (by message id). */
  private readonly attachments = new Map<string, StoredAttachment[]>();
  /** Each tool card's call as the model made it and what it got back (by card id): later turns send both again. */
  private readonly calls = new Map<string, StoredToolCall>();
  /** The bytes of the questions' images (the messages carry their labels). */
  readonly images: SessionImages;
  private readonly toolCalls: ToolCalls | undefined;
  /** Tool cards' progress, at most `maxUpdatesPerSecond` per card; state changes go at once. */
  private readonly toolUpdates: LatestPerKey<ToolCallInfo>;
  /** Every streamed post of this conversation (text, reasoning, tool progress) shares one spacing: the cap holds for all of them together. */
  private readonly pace = new Pace();
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

  constructor(private readonly deps: SessionDeps) {
    this.images = new SessionImages(deps.images, deps.log);
    this.forks = deps.persist?.onDidFork?.((fork) => fork.from === this.conversationId && this.adoptFork(fork));
    this.toolUpdates = new LatestPerKey(
      deps.config().maxUpdatesPerSecond,
      (id, tool) => this.deps.post({ type: 'toolUpdate', id, tool }),
      deps.clock ?? monotonicClock,
      this.pace,
    );
    this.toolCalls = deps.tools
      ? new ToolCalls(deps.tools, {
          added: (item, call) => {
            this.calls.set(item.id, { id: call.id ?? newCallId(), ...(call.extra ? { extra: call.extra } : {}) });
            this.messages.push(item);
            this.deps.post({ type: 'messageAdded', message: structuredClone(item) });
            this.save('flush');
            // A card that cannot run (unknown tool, malformed arguments) is added pending and failed at once:
            // only one still pending once run() yields waits for the user.
            if (item.tool?.state === 'pending')
              queueMicrotask(() => item.tool?.state === 'pending' && this.approvalPending.fire({ id: item.id, tool: item.tool.name }));
          },
          updated: (id, tool, stateChanged) => {
            this.toolUpdates.update(id, { ...tool }, stateChanged);
            this.save(stateChanged ? 'flush' : 'checkpoint');
          },
          answered: (id, reply) => {
            const call = this.calls.get(id);
            if (call) call.reply = reply;
          },
        })
      : undefined;
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
    const { endpoint, model } = this.deps.config();
    return {
      endpoint: endpoint?.name ?? '(no endpoint)',
      model: model || this.resolvedModel,
      ...(endpoint ? { provider: endpoint.type } : {}),
    };
  }

  /**
   * Starts a turn. `context` goes with the question (files, selection, problems), exactly as given.
   * Returns false (and changes nothing) when one is already running.
   */
  send(text: string, context: StoredAttachment[] = [], images: ImageLabel[] = []): boolean {
    if (this.turn) return false;
    const user: MessageSnapshot = { id: randomUUID(), role: 'user', text, state: 'done', seq: 0 };
    if (images.length) user.images = images.map((i) => ({ ...i }));
    if (context.length) {
      user.context = context.map((a) => ({ kind: a.kind, label: a.label, tokens: a.tokens }));
      this.attachments.set(
        user.id,
        context.map((a) => ({ ...a })),
      );
    }
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
    const context = this.attachments.get(messageId) ?? [];
    const images = this.messages[index].images ?? [];
    for (const m of this.messages.splice(index)) this.forget(m.id);
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
    for (const m of this.messages.splice(lastQuestion + 1)) this.forget(m.id);
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
    this.attachments.clear();
    this.images.clear();
    this.calls.clear();
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
    this.toolCalls?.resolveApproval(id, decision);
  }

  /** Cancels one running tool call; the rest of the turn goes on. */
  cancelTool(id: string): void {
    this.toolCalls?.cancel(id);
  }

  dispose(): void {
    const turn = this.turn;
    turn?.controller.abort();
    turn?.answer.dispose();
    this.toolUpdates.dispose();
    turn?.markEnded();
    this.turn = undefined;
    this.forks?.dispose();
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
    this.attachments.clear();
    this.images.clear();
    this.calls.clear();
    for (const m of conversation.messages) {
      if (m.context?.length) this.attachments.set(m.id, m.context);
      if (m.call) this.calls.set(m.id, { ...m.call });
    }
    this.messages = conversation.messages.map(fromStored);
    this.postSnapshot();
    return true;
  }

  /** The conversation as it is stored. Text still in a throttle is at most one update behind. */
  conversation(): Conversation {
    const { endpoint, model } = this.modelLabel();
    return {
      id: this.conversationId,
      ...(this.title ? { title: this.title } : {}),
      createdAt: this.createdAt,
      updatedAt: Date.now(),
      model: { endpoint, model },
      messages: this.messages.map((m) => toStored(m, this.attachments.get(m.id), this.calls.get(m.id))),
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

  /** Drops what went with a message that is no longer in the conversation. */
  private forget(messageId: string): void {
    this.attachments.delete(messageId);
    this.calls.delete(messageId);
  }

  /** The view, and whatever counts the messages, start over from the whole conversation. */
  private postSnapshot(): void {
    this.deps.post(this.snapshot());
    this.didResetMessages.fire();
  }

  private postModel(): void {
    const model = this.modelLabel();
    this.deps.post({ type: 'model', model });
    this.didChangeModel.fire(model);
  }

  private save(how: 'checkpoint' | 'flush'): void {
    const persist = this.deps.persist;
    if (!persist || this.messages.length === 0) return;
    if (how === 'checkpoint') persist.checkpoint(this.conversation());
    else persist.flush(this.conversation()).catch((err) => this.deps.log.error(`Saving the conversation failed: ${describe(err)}`));
  }

  /** Asks the endpoint for its first model when none is configured, so the header can name it. */
  async refreshModel(signal?: AbortSignal): Promise<void> {
    const { endpoint, model } = this.deps.config();
    if (!endpoint || model) return;
    try {
      const models = await (await this.deps.providerFor(endpoint)).listModels(signal);
      this.resolvedModel = models[0]?.name;
    } catch (err) {
      this.deps.log.warn(`Listing models at ${endpoint.url} failed: ${describe(err)}`);
    }
    this.postModel();
  }

  private startTurn(): void {
    const controller = new AbortController();
    let markEnded = () => {};
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    this.turn = { controller, ended, markEnded, answer: this.addAnswer() };
    this.deps.post({ type: 'busy', busy: true });
    void this.runTurnBody(controller.signal).finally(() => this.finishTurn());
  }

  /** A new answer message (one per round of a turn), with the throttles that stream it to the view. */
  private addAnswer(): AnswerStream {
    const answer = new AnswerStream({
      maxUpdatesPerSecond: this.deps.config().maxUpdatesPerSecond,
      clock: this.deps.clock ?? monotonicClock,
      pace: this.pace,
      post: (message) => this.deps.post(message),
      save: (how) => this.save(how),
    });
    this.messages.push(answer.message);
    this.deps.post({ type: 'messageAdded', message: { ...answer.message } });
    return answer;
  }

  private finishTurn(): void {
    const turn = this.turn;
    turn?.markEnded();
    this.turn = undefined;
    this.deps.post({ type: 'busy', busy: false });
    // Not after dispose(): that ended the turn already, and nobody listens to a session that is gone.
    if (turn) this.didEndTurn.fire({ state: endOf(turn) });
  }

  /**
   * One turn: the model answers; when it asks for tools, they run (concurrently, each shown as it
   * completes), their results go back, and the model answers again, until it answers without tools.
   */
  private async runTurnBody(signal: AbortSignal): Promise<void> {
    const turn = this.turn!;
    const config = this.deps.config();
    const clock = this.deps.clock ?? monotonicClock;
    const endpoint = config.endpoint;
    if (!endpoint) {
      return turn.answer.end('error', {
        message: 'No model endpoint is configured. Add one to the modelChat.endpoints setting.',
        actions: [{ kind: 'openSettings', label: 'Open settings', setting: 'modelChat.endpoints' }],
      });
    }
    try {
      // Every await before the model is asked races Stop: the work behind some (a key from SecretStorage, a
      // file on a hung drive, MCP servers starting) cannot be cancelled, and Stop must not wait for it.
      const provider = await race(Promise.resolve(this.deps.providerFor(endpoint)), signal);
      const model = config.model || (await race(this.firstModel(provider, signal), signal));
      if (signal.aborted) return turn.answer.end('stopped');
      if (!model) {
        return turn.answer.end(
          'error',
          toErrorInfo({
            kind: 'noModels',
            url: endpoint.url,
            message: `No models are installed on ${endpoint.url}. Download one with \`ollama pull ${SUGGESTED_MODEL}\`, or add another endpoint.`,
          }),
        );
      }
      // The first turn that may use tools starts the MCP servers: say so when that takes a moment.
      const STARTING = 'Starting tools…';
      const slow = clock.setTimeout(() => this.setStatus(turn.answer.message, STARTING), 150);
      const tools = await race(this.toolsFor(provider, model, signal), signal).finally(() => clock.clearTimeout(slow));
      if (turn.answer.message.status === STARTING) this.setStatus(turn.answer.message, 'Waiting for the model…');
      const parts = this.deps.instructions?.(signal).catch((err) => {
        if (!signal.aborted) this.deps.log.warn(`Reading the instructions failed: ${describe(err)}`);
        return [];
      });
      const system = systemPrompt((parts && (await race(parts, signal))) ?? []);
      await race(this.images.load(this.messages), signal);
      let messages: ChatMessage[] = [...(system ? [{ role: 'system' as const, content: system }] : []), ...this.history()];
      const warning = contextWarning(messages, config.contextTokens);
      if (warning) {
        this.deps.log.warn(warning);
        turn.answer.message.warning = warning;
        this.deps.post({ type: 'warning', id: turn.answer.message.id, warning });
      }
      this.deps.log.info(`Turn: ${endpoint.name} (${endpoint.url}) model ${model}, ${messages.length} messages, ${tools.length} tools`);
      for (let round = 1; ; round++) {
        const answer = turn.answer;
        const calls: ToolCall[] = [];
        const sentAt = clock.now();
        let firstAt: number | undefined;
        // Ollama holds back the first token while it loads a cold model, which can take a while: say so.
        const loading = clock.setTimeout(() => {
          if (firstAt === undefined && !signal.aborted && answer.message.status) this.setStatus(answer.message, LOADING);
        }, LOADING_AFTER_MS);
        const outcome = await runTurn(
          provider,
          { model, messages, ...(tools.length ? { tools } : {}) },
          signal,
          {
            onText: (t) => {
              firstAt ??= clock.now();
              answer.pushText(t);
            },
            onThinking: (t) => {
              firstAt ??= clock.now();
              if (answer.message.status) this.setStatus(answer.message, undefined);
              answer.pushThinking(t);
            },
            // Some servers send no call ids (Ollama), or one id for every call: give each its own, so results can name
            // the call they answer, also in later turns and on another endpoint.
            onToolCall: (call) => calls.push(call.id && !calls.some((c) => c.id === call.id) ? call : { ...call, id: newCallId() }),
            onSources: (sources) => answer.setSources(sources),
            onRetry: (attempt, delayMs, error) => {
              this.deps.log.warn(`Attempt ${attempt} failed (${error.detail ?? error.message}); retrying in ${Math.round(delayMs)} ms`);
              this.setStatus(
                answer.message,
                `${error.kind === 'unreachable' ? 'Cannot reach the server' : 'Connection lost'}; retrying (attempt ${attempt + 1})…`,
              );
            },
          },
          clock,
        );
        clock.clearTimeout(loading);
        const metrics = answerMetrics(sentAt, firstAt, clock.now(), outcome.usage, config.contextTokens);
        if (outcome.usage)
          this.deps.log.info(
            `Round ${round} ${outcome.state}: ${outcome.usage.promptTokens ?? '?'} tokens in, ${outcome.usage.completionTokens ?? '?'} out, ${calls.length} tool calls`,
          );
        if (outcome.state === 'error') {
          this.deps.log.error(`Turn failed (${outcome.error.kind}): ${outcome.error.detail ?? outcome.error.message}`);
          return answer.end('error', toErrorInfo(outcome.error), metrics);
        }
        if (outcome.state === 'stopped' || calls.length === 0)
          return answer.end(outcome.state, undefined, metrics, outcome.state === 'done' ? outcome.cut : undefined);
        if (round >= MAX_TOOL_ROUNDS) {
          const message = `The model asked for tools ${MAX_TOOL_ROUNDS} rounds in a row, so the turn stopped here. Ask again to let it continue.`;
          return answer.end('error', { message, actions: [{ kind: 'showLog', label: 'Show log' }] }, metrics);
        }
        await answer.end('done', undefined, metrics);
        messages = [...messages, { role: 'assistant', content: answer.message.text, toolCalls: calls }];
        messages.push(...(await Promise.all(calls.map((call) => this.toolCalls!.run(call, tools, signal)))));
        if (signal.aborted) return;
        turn.answer = this.addAnswer();
      }
    } catch (err) {
      if (signal.aborted) return turn.answer.end('stopped');
      const error: ProviderError =
        err instanceof ProviderFailure ? err.error : { kind: 'server', message: `Unexpected error: ${describe(err)}` };
      this.deps.log.error(`Turn failed: ${error.detail ?? error.message}`);
      return turn.answer.end('error', toErrorInfo(error));
    }
  }

  /** The tools to offer: none without tool support, for a model that cannot use them, or on failure. */
  private async toolsFor(provider: ChatProvider, model: string, signal: AbortSignal): Promise<ToolDescriptor[]> {
    if (!this.deps.tools || !this.toolCalls) return [];
    try {
      if (provider.supportsTools && !(await provider.supportsTools(model, signal))) {
        this.deps.log.info(`${model} does not support tools: none offered`);
        return [];
      }
      return await this.deps.tools.list(signal);
    } catch (err) {
      this.deps.log.warn(`Tools are not available for this turn: ${describe(err)}`);
      return [];
    }
  }

  private setStatus(message: MessageSnapshot, status: string | undefined): void {
    message.status = status;
    this.deps.post({ type: 'status', id: message.id, status });
  }

  private async firstModel(provider: ChatProvider, signal: AbortSignal): Promise<string | undefined> {
    if (this.resolvedModel) return this.resolvedModel;
    const models = await provider.listModels(signal);
    this.resolvedModel = models[0]?.name;
    if (this.resolvedModel) this.postModel();
    return this.resolvedModel;
  }

  /**
   * Whether the model the next turn uses can see images: false only when its server says it cannot (Ollama's
   * capabilities); a server that cannot say, or a look-up that fails, lets the turn go and report.
   */
  async canSee(signal: AbortSignal): Promise<boolean> {
    const { endpoint, model } = this.deps.config();
    if (!endpoint) return true;
    try {
      const provider = await this.deps.providerFor(endpoint);
      const name = model || this.resolvedModel || (await this.firstModel(provider, signal));
      return !name || ((await provider.supportsVision?.(name, signal)) ?? true);
    } catch {
      return true;
    }
  }

  /** The conversation as the model sees it before the answer being written, tool calls and their results included. */
  private history(): ChatMessage[] {
    return modelHistory(this.messages, {
      question: (m) => userContent(m.text, this.attachments.get(m.id) ?? []),
      images: (m) => this.images.forModel(m.images),
      call: (cardId) => this.calls.get(cardId),
    });
  }
}

function endOf(turn: RunningTurn): TurnEnd['state'] {
  const state = turn.answer.message.state;
  if (state === 'error') return 'error';
  return state === 'stopped' || turn.controller.signal.aborted ? 'stopped' : 'done';
}
