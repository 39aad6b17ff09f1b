import { randomUUID } from 'node:crypto';
import { encodeDelta, type AnswerMetrics, type ChatErrorInfo, type ErrorAction, type HostToWebview, type MessageEnd, type MessageSnapshot, type MessageState, type ModelLabel } from '../shared/protocol';
import { MAX_TOOL_ROUNDS, type ToolDescriptor, type ToolSupport } from './toolSupport';
import { titleOf, type Conversation } from './conversationFormat';
import type { StoredAttachment } from './storedMessage';
import { userContent } from './contextPrompt';
import type { ProviderError, ToolCall } from './events';
import { ProviderFailure, type ChatMessage, type ChatProvider } from './provider';
import { runTurn } from './chatTurn';
import { DeltaThrottle, Pace, realClock, type Clock } from './throttle';
import { LatestPerKey } from './latestPerKey';
import type { ToolCallInfo } from '../shared/protocol';
import { answerMetrics, contextWarning, describe, SUGGESTED_MODEL, toErrorInfo } from './answerInfo';
import { ToolCalls, type Decision } from './toolCalls';
import { systemPrompt, type InstructionPart } from './instructions';

export { answerMetrics, SUGGESTED_MODEL, toErrorInfo };

export interface EndpointConfig {
  name: string;
  type: 'ollama' | 'openai';
  url: string;
}

export interface SessionConfig {
  endpoint: EndpointConfig | undefined;
  /** "" means the first model the endpoint lists. */
  model: string;
  maxUpdatesPerSecond: number;
  /** The context the server is asked to use (Ollama's num_ctx), for the fullness shown and the warning. */
  contextTokens?: number;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface SessionDeps {
  config(): SessionConfig;
  providerFor(endpoint: EndpointConfig): ChatProvider | Promise<ChatProvider>;
  /** Delivers to the webview if it is there to listen; the session never assumes it was. */
  post(message: HostToWebview): void;
  log: Logger;
  clock?: Clock;
  /** Tools from MCP servers; without it the model is offered none. */
  tools?: ToolSupport;
  /** Where the conversation is kept: checkpoints while streaming, flushes on every state change. */
  persist?: Persistence;
  /** Standing instructions, read for every turn (the setting and the workspace's instructions file). */
  instructions?(): Promise<InstructionPart[]>;
}

export interface Persistence {
  checkpoint(conversation: Conversation): void;
  flush(conversation: Conversation): Promise<void>;
}

/** Shown when the first token takes longer than LOADING_AFTER_MS. */
export const LOADING = 'Loading the model… (the first answer after a while can take some seconds)';
const LOADING_AFTER_MS = 1500;

/** Shown on an answer that was still being written when the editor closed or crashed. */
export const INTERRUPTED = 'Interrupted: VS Code closed while this answer was being written.';


interface Answer {
  message: MessageSnapshot;
  throttle: DeltaThrottle<MessageEnd>;
  /**
   * Reasoning streams at the same pace as the answer; it is closed when the answer's first text arrives,
   * and the answer ends only after its last reasoning update has gone out.
   */
  thinking: DeltaThrottle<true>;
  thinkingClosed: Promise<void>;
  /** Settles when its last post (the one that ends it) has gone out. */
  closed: Promise<void>;
  markClosed(): void;
}

interface RunningTurn {
  controller: AbortController;
  /** The answer of the current round. */
  answer: Answer;
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
  private readonly toolCalls: ToolCalls | undefined;
  /** Tool cards' progress, at most `maxUpdatesPerSecond` per card; state changes go at once. */
  private readonly toolUpdates: LatestPerKey<ToolCallInfo>;
  /** Every streamed post of this conversation (text, reasoning, tool progress) shares one spacing: the cap holds for all of them together. */
  private readonly pace = new Pace();

  constructor(private readonly deps: SessionDeps) {
    this.toolUpdates = new LatestPerKey(deps.config().maxUpdatesPerSecond, (id, tool) => this.deps.post({ type: 'toolUpdate', id, tool }), deps.clock ?? realClock, this.pace);
    this.toolCalls = deps.tools
      ? new ToolCalls(deps.tools, {
          added: (item) => {
            this.messages.push(item);
            this.deps.post({ type: 'messageAdded', message: structuredClone(item) });
            this.save('flush');
          },
          updated: (id, tool, stateChanged) => {
            this.toolUpdates.update(id, { ...tool }, stateChanged);
            this.save(stateChanged ? 'flush' : 'checkpoint');
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
    return { type: 'snapshot', messages: this.messages.map((m) => ({ ...m })), busy: this.busy, model: this.modelLabel(), conversationId: this.conversationId };
  }

  modelLabel(): ModelLabel {
    const { endpoint, model } = this.deps.config();
    return { endpoint: endpoint?.name ?? '(no endpoint)', model: model || this.resolvedModel };
  }

  /**
   * Starts a turn. `context` goes with the question (files, selection, problems), exactly as given.
   * Returns false (and changes nothing) when one is already running.
   */
  send(text: string, context: StoredAttachment[] = []): boolean {
    if (this.turn) return false;
    const user: MessageSnapshot = { id: randomUUID(), role: 'user', text, state: 'done', seq: 0 };
    if (context.length) {
      user.context = context.map((a) => ({ kind: a.kind, label: a.label, tokens: a.tokens }));
      this.attachments.set(user.id, context.map((a) => ({ ...a })));
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
    for (const m of this.messages.splice(index)) this.attachments.delete(m.id);
    this.deps.post(this.snapshot());
    this.send(text, context);
    return { earlier };
  }

  /** Asks again for the last answer of the conversation (all of its rounds), whatever state it ended in. */
  regenerate(messageId: string): boolean {
    const lastQuestion = this.messages.map((m) => m.role).lastIndexOf('user');
    // The last answer, even when tool cards follow it (a turn stopped while its tools waited or ran).
    const lastAnswer = this.messages.filter((m, i) => i > lastQuestion && m.role === 'assistant').at(-1);
    if (this.turn || lastQuestion < 0 || lastAnswer?.id !== messageId) return false;
    this.messages.splice(lastQuestion + 1);
    this.deps.post(this.snapshot());
    this.startTurn();
    this.save('flush');
    return true;
  }

  /** A message's own markdown, for Copy. */
  messageText(messageId: string): string | undefined {
    return this.messages.find((m) => m.id === messageId)?.text;
  }

  /** Estimated tokens of the conversation so far as the model would get it (for the context meter). */
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
    this.deps.post(this.snapshot());
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
    this.conversationId = randomUUID();
    this.createdAt = Date.now();
    this.title = undefined;
    this.deps.post(this.snapshot());
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
    turn?.answer.throttle.dispose();
    turn?.answer.thinking.dispose();
    this.toolUpdates.dispose();
    turn?.answer.markClosed();
    turn?.markEnded();
    this.turn = undefined;
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
    this.messages = conversation.messages.map((m) => {
      const message: MessageSnapshot = { id: m.id, role: m.role, text: m.text, state: m.state === 'interrupted' || m.state === 'streaming' ? 'error' : m.state, seq: 0 };
      if (m.error) message.error = m.error;
      if (m.tool) message.tool = m.tool;
      if (m.metrics) message.metrics = m.metrics;
      if (m.thinking) message.thinking = m.thinking;
      if (m.context?.length) {
        this.attachments.set(m.id, m.context);
        message.context = m.context.map((a) => ({ kind: a.kind, label: a.label, tokens: a.tokens }));
      }
      if (m.state === 'interrupted' || m.state === 'streaming') message.error = { message: INTERRUPTED, actions: [{ kind: 'retry', label: 'Retry' }] };
      return message;
    });
    this.deps.post(this.snapshot());
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
      messages: this.messages.map((m) => {
        const context = this.attachments.get(m.id);
        return {
          id: m.id,
          role: m.role,
          text: m.text,
          state: m.state,
          ...(m.error ? { error: m.error } : {}),
          ...(m.tool ? { tool: { ...m.tool } } : {}),
          ...(m.metrics ? { metrics: m.metrics } : {}),
          ...(m.thinking ? { thinking: m.thinking } : {}),
          ...(context?.length ? { context } : {}),
        };
      }),
    };
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
    this.deps.post({ type: 'model', model: this.modelLabel() });
  }

  private startTurn(): void {
    const controller = new AbortController();
    let markEnded = () => {};
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    this.turn = { controller, ended, markEnded, answer: this.addAnswer() };
    this.deps.post({ type: 'busy', busy: true });
    void this.runTurnBody(controller.signal).finally(() => this.finishTurn());
  }

  /** A new answer message (one per round of a turn), with the throttle that streams it to the view. */
  private addAnswer(): Answer {
    const message: MessageSnapshot = { id: randomUUID(), role: 'assistant', text: '', state: 'streaming', seq: 0, status: 'Waiting for the model…' };
    this.messages.push(message);
    let markClosed = () => {};
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const throttle = new DeltaThrottle<MessageEnd>(
      this.deps.config().maxUpdatesPerSecond,
      (flush) => {
        message.text += flush.text;
        message.seq = flush.seq;
        message.status = undefined;
        if (flush.end) {
          message.state = flush.end.state;
          message.error = flush.end.error;
          message.metrics = flush.end.metrics;
        }
        this.deps.post(flush.end ? { type: 'delta', id: message.id, seq: flush.seq, text: flush.text, end: flush.end } : encodeDelta(flush.seq, flush.text));
        this.save(flush.end ? 'flush' : 'checkpoint');
        if (flush.end) markClosed();
      },
      this.deps.clock ?? realClock,
      0,
      this.pace,
    );
    let markThinkingClosed = () => {};
    const thinkingClosed = new Promise<void>((resolve) => (markThinkingClosed = resolve));
    const thinking = new DeltaThrottle<true>(
      this.deps.config().maxUpdatesPerSecond,
      (flush) => {
        if (flush.end) markThinkingClosed();
        if (!flush.text) return false; // a model that did not reason: its empty end is not a post
        message.thinking = (message.thinking ?? '') + flush.text;
        this.deps.post({ type: 'thinking', id: message.id, text: flush.text });
        this.save('checkpoint');
      },
      this.deps.clock ?? realClock,
      0,
      this.pace,
    );
    this.deps.post({ type: 'messageAdded', message: { ...message } });
    return { message, throttle, thinking, thinkingClosed, closed, markClosed };
  }

  private finishTurn(): void {
    this.turn?.markEnded();
    this.turn = undefined;
    this.deps.post({ type: 'busy', busy: false });
  }

  /** Ends an answer and waits until its last post has gone out. */
  private async endAnswer(answer: Answer, state: MessageState, error?: ChatErrorInfo, metrics?: AnswerMetrics): Promise<void> {
    answer.thinking.close(true);
    await answer.thinkingClosed;
    answer.throttle.close({ state, ...(error ? { error } : {}), ...(metrics ? { metrics } : {}) });
    await answer.closed;
  }

  /**
   * One turn: the model answers; when it asks for tools, they run (concurrently, each shown as it
   * completes), their results go back, and the model answers again, until it answers without tools.
   */
  private async runTurnBody(signal: AbortSignal): Promise<void> {
    const turn = this.turn!;
    const config = this.deps.config();
    const clock = this.deps.clock ?? realClock;
    const endpoint = config.endpoint;
    if (!endpoint) {
      return this.endAnswer(turn.answer, 'error', { message: 'No model endpoint is configured. Add one to the modelChat.endpoints setting.', actions: [{ kind: 'openSettings', label: 'Open settings', setting: 'modelChat.endpoints' }] });
    }
    try {
      const provider = await this.deps.providerFor(endpoint);
      const model = config.model || (await this.firstModel(provider, signal));
      if (signal.aborted) return this.endAnswer(turn.answer, 'stopped');
      if (!model) {
        return this.endAnswer(turn.answer, 'error', toErrorInfo({ kind: 'noModels', url: endpoint.url, message: `No models are installed on ${endpoint.url}. Download one with \`ollama pull ${SUGGESTED_MODEL}\`, or add another endpoint.` }));
      }
      // The first turn that may use tools starts the MCP servers: say so when that takes a moment.
      const STARTING = 'Starting tools…';
      const slow = clock.setTimeout(() => this.setStatus(turn.answer.message, STARTING), 150);
      const tools = await this.toolsFor(provider, model, signal).finally(() => clock.clearTimeout(slow));
      if (turn.answer.message.status === STARTING) this.setStatus(turn.answer.message, 'Waiting for the model…');
      const system = systemPrompt((await this.deps.instructions?.().catch((err) => {
        this.deps.log.warn(`Reading the instructions failed: ${describe(err)}`);
        return [];
      })) ?? []);
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
        const outcome = await runTurn(provider, { model, messages, ...(tools.length ? { tools } : {}) }, signal, {
          onText: (t) => {
            firstAt ??= clock.now();
            answer.thinking.close(true);
            answer.throttle.push(t);
          },
          onThinking: (t) => {
            firstAt ??= clock.now();
            if (answer.message.status) this.setStatus(answer.message, undefined);
            answer.thinking.push(t);
          },
          // Some servers send no call ids: give each one, so results can name the call they answer.
          onToolCall: (call) => calls.push(call.id ? call : { ...call, id: `call_${round}_${calls.length}` }),
          onRetry: (attempt, delayMs, error) => {
            this.deps.log.warn(`Attempt ${attempt} failed (${error.detail ?? error.message}); retrying in ${Math.round(delayMs)} ms`);
            this.setStatus(answer.message, `${error.kind === 'unreachable' ? 'Cannot reach the server' : 'Connection lost'}; retrying (attempt ${attempt + 1})…`);
          },
        }, clock);
        clock.clearTimeout(loading);
        const metrics = answerMetrics(sentAt, firstAt, clock.now(), outcome.usage, config.contextTokens);
        if (outcome.usage) this.deps.log.info(`Round ${round} ${outcome.state}: ${outcome.usage.promptTokens ?? '?'} tokens in, ${outcome.usage.completionTokens ?? '?'} out, ${calls.length} tool calls`);
        if (outcome.state === 'error') {
          this.deps.log.error(`Turn failed (${outcome.error.kind}): ${outcome.error.detail ?? outcome.error.message}`);
          return this.endAnswer(answer, 'error', toErrorInfo(outcome.error), metrics);
        }
        if (outcome.state === 'stopped' || calls.length === 0) return this.endAnswer(answer, outcome.state, undefined, metrics);
        if (round >= MAX_TOOL_ROUNDS) {
          const message = `The model asked for tools ${MAX_TOOL_ROUNDS} rounds in a row, so the turn stopped here. Ask again to let it continue.`;
          return this.endAnswer(answer, 'error', { message, actions: [{ kind: 'showLog', label: 'Show log' }] }, metrics);
        }
        await this.endAnswer(answer, 'done', undefined, metrics);
        messages = [...messages, { role: 'assistant', content: answer.message.text, toolCalls: calls }];
        messages.push(...(await Promise.all(calls.map((call) => this.toolCalls!.run(call, tools, signal)))));
        if (signal.aborted) return;
        turn.answer = this.addAnswer();
      }
    } catch (err) {
      if (signal.aborted) return this.endAnswer(turn.answer, 'stopped');
      const error: ProviderError = err instanceof ProviderFailure ? err.error : { kind: 'server', message: `Unexpected error: ${describe(err)}` };
      this.deps.log.error(`Turn failed: ${error.detail ?? error.message}`);
      return this.endAnswer(turn.answer, 'error', toErrorInfo(error));
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
    if (this.resolvedModel) this.deps.post({ type: 'model', model: this.modelLabel() });
    return this.resolvedModel;
  }

  /**
   * The conversation as the model sees it: questions and answers before the one being written. Tool
   * cards stay out of later turns: the answer that followed them already says what they found.
   */
  private history(): ChatMessage[] {
    return this.messages
      .filter((m) => m.role !== 'tool' && m.state !== 'streaming' && m.text.length > 0)
      .map((m) => ({ role: m.role as 'user' | 'assistant', content: m.role === 'user' ? userContent(m.text, this.attachments.get(m.id) ?? []) : m.text }));
  }
}

