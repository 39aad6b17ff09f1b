import type { AnswerMetrics, ChatErrorInfo, ErrorAction } from '../../shared/protocol';
import type { ProviderError, UsageStats } from '../providers/events';

/** A small model that can use tools, suggested wherever the user has none (the empty state names it too). */
export const SUGGESTED_MODEL = 'qwen3';

/** Below this, a client-side tokens/s figure says nothing. */
const MIN_RATE_WINDOW_S = 0.25;

/**
 * Time to first token from when the request went out; tokens per second from the server's own eval time
 * when it reports one (Ollama), else from first to last token.
 */
export function answerMetrics(
  sentAt: number,
  firstAt: number | undefined,
  endAt: number,
  usage?: UsageStats,
  contextTokens?: number,
): AnswerMetrics | undefined {
  const metrics: AnswerMetrics = {};
  if (contextTokens && usage?.promptTokens !== undefined)
    metrics.contextUsed = Math.min(1, (usage.promptTokens + (usage.completionTokens ?? 0)) / contextTokens);
  if (firstAt !== undefined) metrics.firstTokenMs = Math.round(firstAt - sentAt);
  if (usage?.promptTokens !== undefined) metrics.promptTokens = usage.promptTokens;
  if (usage?.completionTokens !== undefined) {
    metrics.completionTokens = usage.completionTokens;
    // Hidden reasoning was generated before the first streamed token: it is not part of the streamed rate.
    const streamed = usage.completionTokens - (usage.hiddenReasoning ? (usage.reasoningTokens ?? 0) : 0);
    const seconds = usage.evalDurationNs ? usage.evalDurationNs / 1e9 : firstAt !== undefined ? (endAt - firstAt) / 1000 : 0;
    // A rate over a blink (an answer that arrived in one read) would be noise, not a speed.
    const measurable = usage.evalDurationNs ? seconds > 0 : seconds >= MIN_RATE_WINDOW_S;
    if (measurable && streamed > 0) metrics.tokensPerSecond = Math.round((streamed / seconds) * 10) / 10;
  }
  return Object.keys(metrics).length ? metrics : undefined;
}

export function describe(err: unknown): string {
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
      actions.push(
        { kind: 'pullModel', label: `Run ollama pull ${SUGGESTED_MODEL}`, model: SUGGESTED_MODEL },
        { kind: 'openSettings', label: 'Edit endpoints', setting: 'modelChat.endpoints' },
      );
      break;
    default:
      actions.push({ kind: 'retry', label: 'Retry' });
  }
  actions.push({ kind: 'showLog', label: 'Show log' });
  return { message: error.message, actions };
}

/**
 * A warning when the conversation likely no longer fits the context: Ollama then silently drops its start,
 * so the model forgets the beginning without saying so.
 */
export function contextWarning(estimate: number, contextTokens: number | undefined): string | undefined {
  if (!contextTokens) return undefined;
  if (estimate < contextTokens * 0.9) return undefined;
  return `This conversation is about ${estimate.toLocaleString('en-US')} tokens, close to or over the model's context of ${contextTokens.toLocaleString('en-US')}: the server may cut its beginning. Compact the conversation, start a new chat, or raise modelChat.ollama.numCtx.`;
}
