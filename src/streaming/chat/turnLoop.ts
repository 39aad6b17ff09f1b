/** One turn of a conversation: the model answers; when it asks for tools they run and it answers again. */
import type { SessionImages } from './sessionImages';
import type { MessageSnapshot } from '../../shared/protocol';
import type { ProviderError, ToolCall } from '../providers/events';
import { ProviderFailure, type ChatMessage, type ChatProvider } from '../providers/provider';
import type { AnswerStream } from './answerStream';
import { runTurn } from './chatTurn';
import { monotonicClock } from '../../shared/clock';
import { answerMetrics, contextWarning, describe, SUGGESTED_MODEL, toErrorInfo } from './answerInfo';
import { systemPrompt } from './instructions';
import type { SessionDeps } from './sessionTypes';
import { race } from '../../shared/abort';
import { collectCall, roundLimitError, type ToolRound } from './toolRound';
import { checkPrompt, estimatePromptTokens, promptChars, promptImageTokens } from './contextBudget';
import { readTurnContext, truncationNote } from './turnContext';
import type { AnswerNote } from '../../shared/protocol';
import { compactionCut } from './compaction';
import { compactAt } from './compactTurn';
import { TextToolCallFilter } from '../../tools/textToolCalls/textToolCallFilter';
import { rejectsTools, rememberRefusedTools, toolRequest } from '../../tools/textToolCalls/textToolRequest';

/** Shown when the first token takes longer than LOADING_AFTER_MS. */
export const LOADING = 'Loading the model… (the first answer after a while can take some seconds)';
const LOADING_AFTER_MS = 1500;
/** Shown while a model writes a tool call as text, which is not shown itself. */
const WRITING_CALL = 'Writing a tool call…';
/** A request estimated above this share of the context is compacted first: the rest is the answer's room. */
const COMPACT_AT = 0.85;

/**
 * The system prompt first, then the history; a summary the history starts with joins the system message
 * (some chat templates accept one system message only, at the start). Nothing here changes from turn to turn
 * unless the instructions or the summary do, so the server's prompt cache keeps the whole prefix.
 */
export function withSystem(system: string | undefined, history: ChatMessage[]): ChatMessage[] {
  const [first, ...rest] = history;
  if (first?.role === 'system') {
    return [{ role: 'system', content: system ? `${system}\n\n${first.content}` : first.content }, ...rest];
  }
  return [...(system ? [{ role: 'system' as const, content: system }] : []), ...history];
}

export interface RunningTurn {
  controller: AbortController;
  /** The answer of the current round. */
  answer: AnswerStream;
  ended: Promise<void>;
  markEnded(): void;
}

export function newRunningTurn(answer: AnswerStream): RunningTurn {
  let markEnded = () => {};
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  return { controller: new AbortController(), answer, ended, markEnded };
}

/** How a turn ended: its last answer's state, or stopped when Stop came between rounds. */
export function endOf(turn: RunningTurn): 'done' | 'stopped' | 'error' {
  const state = turn.answer.message.state;
  if (state === 'error') return 'error';
  return state === 'stopped' || turn.controller.signal.aborted ? 'stopped' : 'done';
}

/** What the turn loop needs from its session. */
export interface TurnHost {
  readonly deps: SessionDeps;
  /** The conversation's id: its own choice of tools applies. */
  readonly id: string;
  readonly tools: ToolRound;
  /** A new answer message for the next round, already shown. */
  addAnswer(): AnswerStream;
  setStatus(message: MessageSnapshot, status: string | undefined): void;
  /** The configured model, or the first one the endpoint lists. */
  firstModel(provider: ChatProvider, signal: AbortSignal): Promise<string | undefined>;
  /** The conversation as the model sees it before this turn's answer (from the last summary on). */
  history(): ChatMessage[];
  /** The model's view of the messages before `index` (what a summary there covers). */
  historyBefore(index: number): ChatMessage[];
  readonly messageList: readonly MessageSnapshot[];
  /** The questions' image bytes, read back from the store before the request is built. */
  readonly images: SessionImages;
  /** A summary message shown at `index`, streamed like an answer. */
  insertSummary(index: number): AnswerStream;
  /** The context the server really has for this model (the meter's 100 %). */
  contextLimit: number | undefined;
  /** Says under `message` that the model saw only part of the conversation. */
  setNote(message: MessageSnapshot, note: AnswerNote): void;
}

/**
 * Runs `turn` to its end. Every failure ends its current answer with an error the user can act on; a
 * Stop ends it as stopped.
 */
export async function runTurnLoop(host: TurnHost, turn: RunningTurn, signal: AbortSignal): Promise<void> {
  const { deps } = host;
  const config = deps.config();
  const clock = deps.clock ?? monotonicClock;
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
    const provider = await race(Promise.resolve(deps.providerFor(endpoint)), signal);
    const model = config.model || (await race(host.firstModel(provider, signal), signal));
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
    const slow = clock.setTimeout(() => host.setStatus(turn.answer.message, STARTING), 150);
    const offer = await race(host.tools.toolsFor(provider, model, signal, host.id), signal).finally(() => clock.clearTimeout(slow));
    const tools = offer.tools;
    if (turn.answer.message.status === STARTING) host.setStatus(turn.answer.message, 'Waiting for the model…');
    const parts = deps.instructions?.(signal).catch((err) => {
      if (!signal.aborted) deps.log.warn(`Reading the instructions failed: ${describe(err)}`);
      return [];
    });
    const system = systemPrompt((parts && (await race(parts, signal))) ?? []);
    await race(host.images.load(host.messageList), signal);
    let messages = withSystem(system, host.history());
    const context = await readTurnContext(provider, endpoint, model, config.contextTokens, messages, signal, deps.log);
    host.contextLimit = context.limit;
    // Images count in the model's tokens, by the chips' rule: an image-heavy conversation is compacted like a long one.
    const sized = (list: ChatMessage[]) =>
      estimatePromptTokens(context.key, promptChars(list, tools), promptImageTokens(list, endpoint.type));
    let estimate = sized(messages);
    // The question and its answer placeholder are the last two messages: the summary goes before the question.
    const cut = context.limit && estimate > context.limit * COMPACT_AT ? compactionCut(host.messageList, host.messageList.length - 1) : -1;
    if (config.autoCompact !== false && cut >= 0) {
      host.setStatus(turn.answer.message, 'Compacting the conversation…');
      await compactAt(host, provider, model, cut, host.insertSummary(cut), context.limit, signal);
      if (signal.aborted) return turn.answer.end('stopped');
      host.setStatus(turn.answer.message, 'Waiting for the model…');
      messages = withSystem(system, host.history());
      estimate = sized(messages);
    }
    const warning = contextWarning(estimate, context.limit);
    if (warning) {
      deps.log.warn(warning);
      turn.answer.message.warning = warning;
      deps.post({ type: 'warning', id: turn.answer.message.id, warning });
    }
    deps.log.info(`Turn: ${endpoint.name} (${endpoint.url}) model ${model}, ${messages.length} messages, ${tools.length} tools`);
    // Every round's changes join the first answer's Undo: one action undoes the whole turn.
    const toolTurn = { conversationId: host.id, messageId: turn.answer.message.id };
    for (let round = 1; ; round++) {
      const answer = turn.answer;
      const calls: ToolCall[] = [];
      // Calls the model writes as text (always so without native tools) become cards; their text is not shown.
      const textCalls = tools.length ? new TextToolCallFilter(tools.map((t) => t.name)) : undefined;
      const chars = promptChars(messages, tools);
      const imageCost = promptImageTokens(messages, endpoint.type);
      const sentAt = clock.now();
      let firstAt: number | undefined;
      // Ollama holds back the first token while it loads a cold model, which can take a while: say so.
      const loading = clock.setTimeout(() => {
        if (firstAt === undefined && !signal.aborted && answer.message.status) host.setStatus(answer.message, LOADING);
      }, LOADING_AFTER_MS);
      const outcome = await runTurn(
        provider,
        {
          ...toolRequest(model, messages, offer),
          estimatedPromptTokens: estimatePromptTokens(context.key, chars, imageCost),
          ...(context.window?.loaded ? { loadedContext: context.window.loaded } : {}),
        },
        signal,
        {
          onText: (t) => {
            firstAt ??= clock.now();
            const shown = textCalls ? textCalls.push(t) : t;
            if (shown) answer.pushText(shown);
            else if (textCalls?.writingCall && answer.message.status !== WRITING_CALL) host.setStatus(answer.message, WRITING_CALL);
          },
          onThinking: (t) => {
            firstAt ??= clock.now();
            if (answer.message.status) host.setStatus(answer.message, undefined);
            answer.pushThinking(t);
          },
          onToolCall: (call) => collectCall(calls, call),
          onSources: (sources) => answer.setSources(sources),
          onRetry: (attempt, delayMs, error) => {
            deps.log.warn(`Attempt ${attempt} failed (${error.detail ?? error.message}); retrying in ${Math.round(delayMs)} ms`);
            host.setStatus(
              answer.message,
              `${error.kind === 'unreachable' ? 'Cannot reach the server' : 'Connection lost'}; retrying (attempt ${attempt + 1})…`,
            );
          },
        },
        clock,
      );
      clock.clearTimeout(loading);
      const written = textCalls?.end();
      if (written?.text) answer.pushText(written.text);
      if (outcome.state === 'done') for (const call of written?.calls ?? []) collectCall(calls, call);
      if (outcome.state === 'error' && !offer.asText && tools.length && !answer.message.text && rejectsTools(outcome.error)) {
        // The server refuses the tools field (no tool parser, no --jinja): ask again with them in the prompt.
        deps.log.warn(
          `${endpoint.url} refused tools for ${model} (${outcome.error.detail ?? outcome.error.message}): describing them in the prompt`,
        );
        rememberRefusedTools(endpoint.url, model);
        offer.asText = true;
        round--;
        continue;
      }
      const metrics = answerMetrics(sentAt, firstAt, clock.now(), outcome.usage, outcome.usage?.contextTokens ?? context.limit);
      const truncated = checkPrompt(context.key, chars, outcome.usage, imageCost);
      if (truncated) {
        const note = truncationNote(truncated, endpoint);
        deps.log.warn(`The server saw ${note.seen} of about ${note.sent} prompt tokens: the conversation was cut`);
        host.setNote(answer.message, note);
      }
      if (outcome.usage)
        deps.log.info(
          `Round ${round} ${outcome.state}: ${outcome.usage.promptTokens ?? '?'} tokens in, ${outcome.usage.completionTokens ?? '?'} out, ${calls.length} tool calls`,
        );
      if (outcome.state === 'error') {
        deps.log.error(`Turn failed (${outcome.error.kind}): ${outcome.error.detail ?? outcome.error.message}`);
        return answer.end('error', toErrorInfo(outcome.error), metrics);
      }
      if (outcome.state === 'stopped' || calls.length === 0)
        return answer.end(outcome.state, undefined, metrics, outcome.state === 'done' ? outcome.cut : undefined);
      const tooMany = roundLimitError(round);
      if (tooMany) return answer.end('error', tooMany, metrics);
      await answer.end('done', undefined, metrics);
      messages = [...messages, ...(await host.tools.run(answer.message.text, calls, tools, signal, toolTurn))];
      if (signal.aborted) return;
      turn.answer = host.addAnswer();
    }
  } catch (err) {
    if (signal.aborted) return turn.answer.end('stopped');
    const error: ProviderError =
      err instanceof ProviderFailure ? err.error : { kind: 'server', message: `Unexpected error: ${describe(err)}` };
    deps.log.error(`Turn failed: ${error.detail ?? error.message}`);
    return turn.answer.end('error', toErrorInfo(error));
  }
}
