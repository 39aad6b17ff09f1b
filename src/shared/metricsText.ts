/** The line under a finished answer (timing and token counts), as the page shows it and the transcript says it. */
import type { AnswerMetrics } from './protocol';

/** "0.42 s to first token · 31.5 tokens/s · 120 in · 380 out · 6% of context"; empty when nothing is known. */
export function metricsText(m: AnswerMetrics): string {
  const parts: string[] = [];
  if (m.firstTokenMs !== undefined) parts.push(`${(m.firstTokenMs / 1000).toFixed(m.firstTokenMs < 10_000 ? 2 : 1)} s to first token`);
  if (m.tokensPerSecond !== undefined) parts.push(`${m.tokensPerSecond.toFixed(1)} tokens/s`);
  if (m.promptTokens !== undefined || m.completionTokens !== undefined)
    parts.push(`${m.promptTokens ?? '?'} in · ${m.completionTokens ?? '?'} out`);
  if (m.contextUsed !== undefined)
    parts.push(`${m.contextUsed > 0 && m.contextUsed < 0.01 ? '<1' : Math.round(m.contextUsed * 100)}% of context`);
  return parts.join(' · ');
}
