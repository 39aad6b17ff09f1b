import { randomUUID } from 'node:crypto';
import type { MessageSnapshot, ToolCallInfo } from '../shared/protocol';
import type { ToolCall } from '../streaming/providers/events';
import type { ChatMessage } from '../streaming/providers/provider';
import { ChildAbort } from '../shared/abort';
import type { ToolDescriptor, ToolSupport, ToolTurn } from './toolSupport';

export type Decision = 'allow' | 'deny' | 'always';

const MAX_PROGRESS_MESSAGE = 500;

/** Where a tool call shows: a card added once, then updated (state changes are worth saving at once). */
export interface ToolCallUi {
  /** The card of `call`, as the model made it (later turns send the call back). */
  added(item: MessageSnapshot, call: ToolCall): void;
  updated(id: string, tool: ToolCallInfo, stateChanged: boolean): void;
  /** What the model gets back for the card's call; told before the card's last update, so the save that update makes holds both. */
  answered?(id: string, reply: string): void;
}

/**
 * The tool calls of a session: each runs as a card (approval when the policy asks, live progress, the
 * result) and always answers the model, also when denied, unknown, malformed, failed or cancelled.
 */
export class ToolCalls {
  private readonly approvals = new Map<string, (decision: Decision) => void>();
  private readonly aborts = new Map<string, ChildAbort>();

  constructor(
    private readonly support: ToolSupport,
    private readonly ui: ToolCallUi,
  ) {}

  /** The user's answer on an approval card. */
  resolveApproval(id: string, decision: Decision): void {
    this.approvals.get(id)?.(decision);
  }

  /** Cancels one running call; the rest of the turn goes on. */
  cancel(id: string): void {
    this.aborts.get(id)?.abort();
  }

  /** Runs one tool call as a card: approval when needed, progress, result. Always answers the model. */
  async run(call: ToolCall, tools: ToolDescriptor[], signal: AbortSignal, turn?: ToolTurn): Promise<ChatMessage> {
    const support = this.support;
    const tool = tools.find((t) => t.name === call.name);
    const runnable = tool !== undefined && typeof call.arguments !== 'string';
    const ask = runnable && support.needsApproval(tool);
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments, null, 2);
    const info: ToolCallInfo = {
      name: call.name,
      server: tool?.server,
      arguments: args,
      state: ask || !runnable ? 'pending' : 'running',
      readOnly: tool?.readOnly,
      ...(tool?.alwaysAsks ? { alwaysAsks: true } : {}),
    };
    if (info.state === 'running') info.startedAt = Date.now();
    const item: MessageSnapshot = { id: randomUUID(), role: 'tool', text: '', state: 'done', seq: 0, tool: info };
    this.ui.added(item, call);
    const update = (patch: Partial<ToolCallInfo>) => {
      const stateChanged = patch.state !== undefined && patch.state !== info.state;
      Object.assign(info, patch);
      this.ui.updated(item.id, info, stateChanged);
    };
    const reply = (content: string): ChatMessage => {
      this.ui.answered?.(item.id, content);
      return { role: 'tool', content, toolName: call.name, ...(call.id ? { toolCallId: call.id } : {}) };
    };
    const fail = (state: 'error' | 'cancelled', text: string) => {
      const message = reply(`Error: ${text}`);
      update({ state, result: { text, isError: true } });
      return message;
    };
    if (!tool)
      return fail('error', `There is no tool named '${call.name}'. Available tools: ${tools.map((t) => t.name).join(', ') || 'none'}.`);
    if (typeof call.arguments === 'string') return fail('error', `The arguments are not valid JSON: ${call.arguments.slice(0, 500)}`);
    if (ask) {
      const decision = await this.awaitApproval(item.id, signal);
      if (decision === 'cancelled') return fail('cancelled', 'The turn was stopped before the user decided.');
      if (decision === 'deny') return fail('cancelled', 'The user denied this tool call.');
      if (decision === 'always') support.alwaysAllow(tool);
      if (!signal.aborted) update({ state: 'running', startedAt: Date.now() });
    }
    if (signal.aborted) return fail('cancelled', 'The turn was stopped.');
    // The call's one signal: the turn's Stop reaches it, and so does Cancel on its card (this call only).
    const own = new ChildAbort(signal);
    this.aborts.set(item.id, own);
    try {
      const result = await support.run(call, {
        signal: own.signal,
        cancel: () => own.abort(),
        cardId: item.id,
        ...(turn ? { turn } : {}),
        // A progress message is a status line: a server sending megabytes in each would flood the view and the history.
        onProgress: (progress, total, message) =>
          update({ progress: { progress, total, message: message?.slice(0, MAX_PROGRESS_MESSAGE) } }),
      });
      const state = result.outcome === 'done' ? 'done' : result.outcome === 'cancelled' ? 'cancelled' : 'error';
      const message = reply(state === 'done' ? result.content : `Error (${result.outcome}): ${result.content}`);
      update({
        state,
        durationMs: result.durationMs,
        progress: undefined,
        result: {
          text: result.content,
          isError: state !== 'done',
          images: result.images,
          ...(result.links ? { links: result.links } : {}),
          ...(result.truncated ? { truncated: result.truncated } : {}),
        },
      });
      return message;
    } finally {
      own.dispose();
      this.aborts.delete(item.id);
    }
  }

  private awaitApproval(id: string, signal: AbortSignal): Promise<'allow' | 'deny' | 'always' | 'cancelled'> {
    return new Promise((resolve) => {
      const onAbort = () => {
        this.approvals.delete(id);
        resolve('cancelled');
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.approvals.set(id, (decision) => {
        signal.removeEventListener('abort', onAbort);
        this.approvals.delete(id);
        resolve(decision);
      });
    });
  }
}
