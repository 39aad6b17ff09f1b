/** Running a compaction: inside a turn whose request would not fit, or on its own (the command, a note's button). */
import type { ChatProvider } from '../providers/provider';
import type { AnswerStream } from './answerStream';
import { monotonicClock } from '../../shared/clock';
import { race } from '../../shared/abort';
import { summarise } from './compaction';
import { charsPerToken, contextLimit, modelKey } from './contextBudget';
import { describe, toErrorInfo } from './answerInfo';
import type { TurnHost } from './turnLoop';

/** Of the context, what the older part may take in the summary request (the rest is the summary's room). */
const SUMMARY_INPUT_SHARE = 0.7;
/** When the server does not say its context. */
const FALLBACK_CONTEXT = 8192;

type CompactionHost = Pick<TurnHost, 'deps' | 'firstModel' | 'historyBefore'>;

/**
 * Summarises `messages[0, cut)` into `summary` (a summary message already shown at `cut`). True when it
 * finished; a failed or stopped summary stays visible as such and is not used.
 */
export async function compactAt(
  host: CompactionHost,
  provider: ChatProvider,
  model: string,
  cut: number,
  summary: AnswerStream,
  limit: number | undefined,
  signal: AbortSignal,
): Promise<boolean> {
  const older = host.historyBefore(cut);
  const maxChars = Math.floor((limit ?? FALLBACK_CONTEXT) * SUMMARY_INPUT_SHARE * charsPerToken(modelKey(provider.url, model)));
  host.deps.log.info(`Compacting ${cut} messages (${older.length} as the model sees them)`);
  const outcome = await summarise(provider, model, older, maxChars, summary, signal, host.deps.clock ?? monotonicClock);
  if (outcome.state === 'error') {
    await summary.end('error', toErrorInfo(outcome.error));
    return false;
  }
  await summary.end(outcome.state);
  return outcome.state === 'done';
}

/** The compaction command: a turn of its own whose answer is the summary, so Stop ends it like any answer. */
export async function runCompaction(host: CompactionHost, summary: AnswerStream, cut: number, signal: AbortSignal): Promise<void> {
  const config = host.deps.config();
  try {
    if (!config.endpoint) return await summary.end('error', { message: 'No model endpoint is configured.', actions: [] });
    const provider = await race(Promise.resolve(host.deps.providerFor(config.endpoint)), signal);
    const model = config.model || (await race(host.firstModel(provider, signal), signal));
    if (!model) return await summary.end('error', { message: 'No model to write the summary.', actions: [] });
    const window = provider.contextWindow ? await race(provider.contextWindow(model, signal), signal).catch(() => undefined) : undefined;
    await compactAt(host, provider, model, cut, summary, contextLimit(window, config.contextTokens), signal);
  } catch (err) {
    if (signal.aborted) return summary.end('stopped');
    host.deps.log.error(`Compacting failed: ${describe(err)}`);
    await summary.end('error', { message: `Compacting failed: ${describe(err)}`, actions: [{ kind: 'showLog', label: 'Show log' }] });
  }
}
