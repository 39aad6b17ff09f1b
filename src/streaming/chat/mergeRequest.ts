/**
 * Apply's "Ask the model to merge": when it is unclear where a partial code block goes, the chat's model
 * gets the file and the block in a request of its own (not part of any conversation) and writes the whole
 * merged file back. Its reply's code block is only a proposal: the caller shows it in the diff review.
 */
import MarkdownIt from 'markdown-it';
import { ChildAbort } from '../../shared/abort';
import { messageOf } from '../../shared/errors';
import { fenceFor } from '../../shared/markdownFences';
import { TIMEOUTS } from '../../shared/timeouts';
import type { ChatMessage, ChatProvider, EndpointConfig } from '../providers/provider';

export interface MergeInput {
  /** The file's path as the user sees it (the model is told which file it is). */
  path: string;
  current: string;
  block: string;
}

export interface MergeLimits {
  /** The file and the block together: larger ones are not sent (a local model's context would not hold them). */
  maxInputChars: number;
  /** The reply is the whole file again, plus a little: more than this and the model is not answering the task. */
  maxAnswerChars: number;
  timeoutMs: number;
}

export const MERGE_LIMITS: MergeLimits = { maxInputChars: 256 * 1024, maxAnswerChars: 768 * 1024, timeoutMs: TIMEOUTS.modelMergeMs };

export interface MergeModel {
  config(): { endpoint?: EndpointConfig; model?: string };
  providerFor(endpoint: EndpointConfig): ChatProvider | Promise<ChatProvider>;
}

export type MergeAnswer = { ok: true; text: string; model: string } | { ok: false; reason: string; cancelled?: boolean };

const INSTRUCTIONS =
  'You merge a change into a file. Reply with the complete updated file in a single fenced code block and nothing else. ' +
  'Keep every line of the file the change does not touch exactly as it is. Comments like "... existing code ..." in the ' +
  'change stand for unchanged lines of the file.';

/** Whether `input` is small enough to be sent at all. */
export const fitsMerge = (input: Pick<MergeInput, 'current' | 'block'>, limits: MergeLimits = MERGE_LIMITS): boolean =>
  input.current.length + input.block.length <= limits.maxInputChars;

export function mergePrompt(input: MergeInput): ChatMessage[] {
  const fence = fenceFor(input.current + input.block);
  return [
    { role: 'system', content: INSTRUCTIONS },
    {
      role: 'user',
      content:
        `The file ${input.path}:\n${fence}\n${input.current}\n${fence}\n\n` +
        `The change to merge into it (a part of the file):\n${fence}\n${input.block}\n${fence}\n\n` +
        `Reply with the whole updated ${input.path} in one code block.`,
    },
  ];
}

/** The longest fenced code block of `reply` (a model may add a short example besides the file), as CommonMark reads it. */
export function fencedCode(reply: string): string | undefined {
  const fences = new MarkdownIt().parse(reply, {}).filter((t) => t.type === 'fence' || t.type === 'code_block');
  return fences.map((t) => t.content).sort((a, b) => b.length - a.length)[0];
}

/** Asks the configured model (or the endpoint's first) to merge; `signal` (the user's Cancel) ends the request. */
export async function askModelToMerge(
  deps: MergeModel,
  input: MergeInput,
  signal: AbortSignal,
  limits: MergeLimits = MERGE_LIMITS,
): Promise<MergeAnswer> {
  if (!fitsMerge(input, limits)) return { ok: false, reason: `${input.path} and the block are too large to send to the model.` };
  const { endpoint, model: configured } = deps.config();
  if (!endpoint) return { ok: false, reason: 'No model endpoint is configured.' };
  const own = new ChildAbort(signal, limits.timeoutMs);
  const cancelled = (): MergeAnswer => ({ ok: false, reason: 'The merge was cancelled.', cancelled: true });
  try {
    const provider = await deps.providerFor(endpoint);
    const model = configured || (await provider.listModels(own.signal))[0]?.name;
    if (signal.aborted) return cancelled();
    if (!model) return { ok: false, reason: `No model is installed on ${endpoint.url}.` };
    let reply = '';
    for await (const event of provider.chat({ model, messages: mergePrompt(input) }, own.signal)) {
      if (event.type === 'text') {
        reply += event.text;
        if (reply.length > limits.maxAnswerChars) {
          own.abort();
          return { ok: false, reason: `The model's reply grew past ${Math.round(limits.maxAnswerChars / 1024)} KB without ending.` };
        }
      } else if (event.type === 'error') {
        if (signal.aborted) return cancelled();
        return {
          ok: false,
          reason: own.signal.aborted ? `The model did not finish within ${Math.round(limits.timeoutMs / 1000)} s.` : event.error.message,
        };
      } else if (event.type === 'done') {
        if (signal.aborted) return cancelled();
        if (event.reason === 'aborted')
          return { ok: false, reason: `The model did not finish within ${Math.round(limits.timeoutMs / 1000)} s.` };
        if (event.reason === 'length') return { ok: false, reason: "The model's reply was cut off at its length limit." };
      }
    }
    if (signal.aborted) return cancelled();
    const code = fencedCode(reply);
    if (code === undefined) return { ok: false, reason: "The model's reply has no code block." };
    return { ok: true, text: code, model };
  } catch (err) {
    if (signal.aborted) return cancelled();
    return { ok: false, reason: messageOf(err) };
  } finally {
    own.dispose();
  }
}
