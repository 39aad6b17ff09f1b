import { randomUUID } from 'node:crypto';
import type { AnswerMetrics, ChatErrorInfo, ErrorAction, HostToWebview, MessageEnd, MessageSnapshot, MessageState, ModelLabel } from '../shared/protocol';
import type { UsageStats } from './events';
import type { ProviderError } from './events';
import { ProviderFailure, type ChatMessage, type ChatProvider } from './provider';
import { runTurn } from './chatTurn';
import { DeltaThrottle, realClock, type Clock } from './throttle';

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
}

/** Suggested when a server has no model at all: small, and it supports tools. */
export const SUGGESTED_MODEL = 'llama3.2';

interface RunningTurn {
  controller: AbortController;
  throttle: DeltaThrottle<MessageEnd>;
  /** Settles when the final post (the one that ends the message) has gone out. */
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

  constructor(private readonly deps: SessionDeps) {}

  get busy(): boolean {
    return this.turn !== undefined;
  }

  /** The conversation as the webview should show it. Text not yet flushed stays out: its delta follows. */
  snapshot(): HostToWebview {
    return { type: 'snapshot', messages: this.messages.map((m) => ({ ...m })), busy: this.busy, model: this.modelLabel() };
  }

  modelLabel(): ModelLabel {
    const { endpoint, model } = this.deps.config();
    return { endpoint: endpoint?.name ?? '(no endpoint)', model: model || this.resolvedModel };
  }

  /** Starts a turn. Returns false (and changes nothing) when one is already running. */
  send(text: string): boolean {
    if (this.turn) return false;
    const user: MessageSnapshot = { id: randomUUID(), role: 'user', text, state: 'done', seq: 0 };
    this.messages.push(user);
    this.deps.post({ type: 'messageAdded', message: { ...user } });
    this.startTurn();
    return true;
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
    return true;
  }

  async clear(): Promise<void> {
    const running = this.turn;
    running?.controller.abort();
    await running?.ended;
    this.messages = [];
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

  dispose(): void {
    this.turn?.controller.abort();
    this.turn?.throttle.dispose();
    this.turn?.markEnded();
    this.turn = undefined;
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
    const assistant: MessageSnapshot = { id: randomUUID(), role: 'assistant', text: '', state: 'streaming', seq: 0, status: 'Waiting for the model…' };
    this.messages.push(assistant);
    const throttle = new DeltaThrottle<MessageEnd>(
      this.deps.config().maxUpdatesPerSecond,
      (flush) => {
        assistant.text += flush.text;
        assistant.seq = flush.seq;
        assistant.status = undefined;
        if (flush.end) {
          assistant.state = flush.end.state;
          assistant.error = flush.end.error;
          assistant.metrics = flush.end.metrics;
        }
        this.deps.post({ type: 'delta', id: assistant.id, seq: flush.seq, text: flush.text, ...(flush.end ? { end: flush.end } : {}) });
        if (flush.end) this.finishTurn();
      },
      this.deps.clock ?? realClock,
    );
    let markEnded = () => {};
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    this.turn = { controller, throttle, ended, markEnded };
    this.deps.post({ type: 'messageAdded', message: { ...assistant } });
    this.deps.post({ type: 'busy', busy: true });
    void this.runTurnBody(assistant, controller.signal, throttle);
  }

  private finishTurn(): void {
    this.turn?.markEnded();
    this.turn = undefined;
    this.deps.post({ type: 'busy', busy: false });
  }

  private async runTurnBody(assistant: MessageSnapshot, signal: AbortSignal, throttle: RunningTurn['throttle']): Promise<void> {
    const config = this.deps.config();
    const clock = this.deps.clock ?? realClock;
    let sentAt: number | undefined;
    let firstAt: number | undefined;
    const end = (state: MessageState, error?: ChatErrorInfo, usage?: UsageStats) => {
      const metrics = sentAt !== undefined ? answerMetrics(sentAt, firstAt, clock.now(), usage) : undefined;
      throttle.close({ state, ...(error ? { error } : {}), ...(metrics ? { metrics } : {}) });
    };
    const endpoint = config.endpoint;
    if (!endpoint) {
      end('error', { message: 'No model endpoint is configured. Add one to the modelChat.endpoints setting.', actions: [{ kind: 'openSettings', label: 'Open settings', setting: 'modelChat.endpoints' }] });
      return;
    }
    try {
      const provider = await this.deps.providerFor(endpoint);
      const model = config.model || (await this.firstModel(provider, signal));
      if (signal.aborted) return end('stopped');
      if (!model) {
        end('error', toErrorInfo({ kind: 'noModels', url: endpoint.url, message: `No models are installed on ${endpoint.url}. Download one with \`ollama pull ${SUGGESTED_MODEL}\`, or add another endpoint.` }));
        return;
      }
      const history = this.history(assistant.id);
      this.deps.log.info(`Turn: ${endpoint.name} (${endpoint.url}) model ${model}, ${history.length} messages`);
      sentAt = clock.now();
      const outcome = await runTurn(provider, { model, messages: history }, signal, {
        onText: (t) => {
          firstAt ??= clock.now();
          throttle.push(t);
        },
        onRetry: (attempt, delayMs, error) => {
          this.deps.log.warn(`Attempt ${attempt} failed (${error.detail ?? error.message}); retrying in ${Math.round(delayMs)} ms`);
          this.setStatus(assistant, `${error.kind === 'unreachable' ? 'Cannot reach the server' : 'Connection lost'}; retrying (attempt ${attempt + 1})…`);
        },
      }, clock);
      if (outcome.state === 'error') {
        this.deps.log.error(`Turn failed (${outcome.error.kind}): ${outcome.error.detail ?? outcome.error.message}`);
        end('error', toErrorInfo(outcome.error), outcome.usage);
      } else {
        if (outcome.usage) this.deps.log.info(`Turn ${outcome.state}: ${outcome.usage.promptTokens ?? '?'} tokens in, ${outcome.usage.completionTokens ?? '?'} out`);
        end(outcome.state, undefined, outcome.usage);
      }
    } catch (err) {
      if (signal.aborted) end('stopped');
      else {
        const error: ProviderError = err instanceof ProviderFailure ? err.error : { kind: 'server', message: `Unexpected error: ${describe(err)}` };
        this.deps.log.error(`Turn failed: ${error.detail ?? error.message}`);
        end('error', toErrorInfo(error));
      }
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

  /** The conversation as the model sees it: everything before the answer being written. */
  private history(excludeId: string): ChatMessage[] {
    return this.messages
      .filter((m) => m.id !== excludeId && m.text.length > 0)
      .map((m) => ({ role: m.role, content: m.text }));
  }
}

/**
 * Time to first token from when the request went out; tokens per second from the server's own eval time
 * when it reports one (Ollama), else from first to last token.
 */
export function answerMetrics(sentAt: number, firstAt: number | undefined, endAt: number, usage?: UsageStats): AnswerMetrics | undefined {
  const metrics: AnswerMetrics = {};
  if (firstAt !== undefined) metrics.firstTokenMs = Math.round(firstAt - sentAt);
  if (usage?.promptTokens !== undefined) metrics.promptTokens = usage.promptTokens;
  if (usage?.completionTokens !== undefined) {
    metrics.completionTokens = usage.completionTokens;
    const seconds = usage.evalDurationNs ? usage.evalDurationNs / 1e9 : firstAt !== undefined ? (endAt - firstAt) / 1000 : 0;
    if (seconds > 0) metrics.tokensPerSecond = Math.round((usage.completionTokens / seconds) * 10) / 10;
  }
  return Object.keys(metrics).length ? metrics : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What the user can do about each kind of failure. */
export function toErrorInfo(error: ProviderError): ChatErrorInfo {
  const actions: ErrorAction[] = [];
  switch (error.kind) {
    case 'unreachable':
      actions.push({ kind: 'retry', label: 'Retry' }, { kind: 'openSettings', label: 'Edit endpoints', setting: 'modelChat.endpoints' });
      break;
    case 'modelNotFound':
      if (error.model) actions.push({ kind: 'pullModel', label: `Run ollama pull ${error.model}`, model: error.model });
      actions.push({ kind: 'selectModel', label: 'Select another model' });
      break;
    case 'auth':
      actions.push({ kind: 'setApiKey', label: 'Set API key' });
      break;
    case 'noModels':
      actions.push({ kind: 'pullModel', label: `Run ollama pull ${SUGGESTED_MODEL}`, model: SUGGESTED_MODEL }, { kind: 'openSettings', label: 'Edit endpoints', setting: 'modelChat.endpoints' });
      break;
    default:
      actions.push({ kind: 'retry', label: 'Retry' });
  }
  actions.push({ kind: 'showLog', label: 'Show log' });
  return { message: error.message, actions };
}
