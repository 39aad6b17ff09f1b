/** The tool side of a turn: which tools the model is offered, and one round of the calls it made. */
import type { ChatErrorInfo, MessageSnapshot, ToolCallInfo } from '../../shared/protocol';
import type { StoredToolCall } from '../../history/storedMessage';
import type { SessionDeps } from './sessionTypes';
import type { Pace } from '../pacing/throttle';
import { LatestPerKey } from '../pacing/latestPerKey';
import { monotonicClock } from '../../shared/clock';
import type { Logger } from '../../shared/log';
import type { ToolCall } from '../providers/events';
import type { ChatMessage, ChatProvider } from '../providers/provider';
import { MAX_TOOL_ROUNDS, type ToolDescriptor, type ToolOffer, type ToolSupport, type ToolTurn } from '../../tools/toolSupport';
import { refusedTools } from '../../tools/textToolCalls/textToolRequest';
import { ToolCalls, type Decision, type ToolCallUi } from '../../tools/toolCalls';
import { newCallId } from './modelHistory';
import { describe } from './answerInfo';

/** Where a session's tool cards go. */
export interface ToolCardHost {
  readonly deps: SessionDeps;
  /** The conversation's pace: card progress shares it with the answers' text. */
  readonly pace: Pace;
  /** A card joins the conversation, with its call as the model made it (later turns send it again). */
  addCard(item: MessageSnapshot, call: StoredToolCall): void;
  recordedCall(cardId: string): StoredToolCall | undefined;
  save(how: 'checkpoint' | 'flush'): void;
  /** A card waits for the user's Allow. */
  approvalPending(id: string, tool: string): void;
}

export class ToolRound {
  private readonly toolCalls: ToolCalls | undefined;
  /** Tool cards' progress, at most `maxUpdatesPerSecond` per card; state changes go at once. */
  private readonly updates: LatestPerKey<ToolCallInfo>;
  private readonly support: ToolSupport | undefined;
  private readonly log: Logger;

  constructor(host: ToolCardHost) {
    const { deps } = host;
    this.support = deps.tools;
    this.log = deps.log;
    const updates = (this.updates = new LatestPerKey(
      deps.config().maxUpdatesPerSecond,
      (id, tool) => deps.post({ type: 'toolUpdate', id, tool }),
      deps.clock ?? monotonicClock,
      host.pace,
    ));
    const ui: ToolCallUi = {
      added: (item, call) => {
        host.addCard(item, { id: call.id ?? newCallId(), ...(call.extra ? { extra: call.extra } : {}) });
        // A card that cannot run (unknown tool, malformed arguments) is added pending and failed at once:
        // only one still pending once run() yields waits for the user.
        if (item.tool?.state === 'pending')
          queueMicrotask(() => item.tool?.state === 'pending' && host.approvalPending(item.id, item.tool.name));
      },
      updated: (id, tool, stateChanged) => {
        updates.update(id, { ...tool }, stateChanged);
        host.save(stateChanged ? 'flush' : 'checkpoint');
      },
      answered: (id, reply) => {
        const call = host.recordedCall(id);
        if (call) call.reply = reply;
      },
    };
    this.toolCalls = this.support ? new ToolCalls(this.support, ui) : undefined;
  }

  dispose(): void {
    this.updates.dispose();
  }

  /**
   * The tools to offer (none without tool support or on failure), the conversation's own choice of them; for a
   * model without native tool calling (or a server that refused them) they go in the prompt instead.
   */
  async toolsFor(provider: ChatProvider, model: string, signal: AbortSignal, conversation?: string): Promise<ToolOffer> {
    if (!this.support || !this.toolCalls) return { tools: [], asText: false };
    try {
      const asText =
        refusedTools(provider.url, model) || (provider.supportsTools !== undefined && !(await provider.supportsTools(model, signal)));
      const tools = await this.support.list(signal, conversation);
      if (asText && tools.length) this.log.info(`${model} has no native tool calling: ${tools.length} tools described in the prompt`);
      return { tools, asText };
    } catch (err) {
      this.log.warn(`Tools are not available for this turn: ${describe(err)}`);
      return { tools: [], asText: false };
    }
  }

  /**
   * Runs the calls of one answer (concurrently, each card shown as it completes) and returns what goes back
   * to the model: the answer with its calls, then each call's result. `turn`: the answer the changes the calls
   * make belong to.
   */
  async run(answerText: string, calls: ToolCall[], tools: ToolDescriptor[], signal: AbortSignal, turn?: ToolTurn): Promise<ChatMessage[]> {
    const results = await Promise.all(calls.map((call) => this.toolCalls!.run(call, tools, signal, turn)));
    return [{ role: 'assistant', content: answerText, toolCalls: calls }, ...results];
  }

  /** The user's answer on an approval card. */
  resolveApproval(id: string, decision: Decision): void {
    this.toolCalls?.resolveApproval(id, decision);
  }

  /** Cancels one running tool call; the rest of the turn goes on. */
  cancel(id: string): void {
    this.toolCalls?.cancel(id);
  }
}

/**
 * Adds `call` to the round's calls. Some servers send no call ids (Ollama), or one id for every call: each
 * gets its own, so results can name the call they answer, also in later turns and on another endpoint.
 */
export function collectCall(calls: ToolCall[], call: ToolCall): void {
  calls.push(call.id && !calls.some((c) => c.id === call.id) ? call : { ...call, id: newCallId() });
}

/** The error that ends a turn whose model keeps asking for tools. */
export function roundLimitError(round: number): ChatErrorInfo | undefined {
  if (round < MAX_TOOL_ROUNDS) return undefined;
  const message = `The model asked for tools ${MAX_TOOL_ROUNDS} rounds in a row, so the turn stopped here. Ask again to let it continue.`;
  return { message, actions: [{ kind: 'showLog', label: 'Show log' }] };
}
