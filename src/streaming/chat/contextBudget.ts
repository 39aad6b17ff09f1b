/**
 * How many tokens a request takes, and whether the server saw all of them. The estimate starts at the
 * shared four characters a token and is calibrated per model from the server's own counts (or its
 * tokenizer, llama.cpp's /tokenize), so "fits" and "cut" are judged in the model's own tokens.
 */
import { imageTokens, OLLAMA_IMAGE_TOKENS } from '../../shared/images';
import { CHARS_PER_TOKEN } from '../../shared/tokens';
import type { UsageStats } from '../providers/events';
import type { ChatMessage, ContextWindow, EndpointConfig } from '../providers/provider';
import type { ToolDescriptor } from '../../tools/toolSupport';

/** Chat templates wrap every message in a few tokens of role markers. */
const PER_MESSAGE_CHARS = 16;
/** A measured ratio outside this is a broken count, not a tokenizer. */
const MIN_RATIO = 1;
const MAX_RATIO = 8;
/** Below this the count is mostly template overhead: too noisy to learn from. */
const MIN_LEARN_TOKENS = 64;
/**
 * A server count this far under the estimate means the prompt was cut. Estimates err by tens of percent
 * between tokenizers; a cut prompt loses at least the part over the context, usually more.
 */
const CUT_RATIO = 0.6;

/** Characters per token by endpoint and model, learned from the servers' counts (for this window's lifetime). */
const ratios = new Map<string, number>();

export const modelKey = (url: string, model: string) => `${url}\u0000${model}`;

export function charsPerToken(key: string): number {
  return ratios.get(key) ?? CHARS_PER_TOKEN;
}

export function isCalibrated(key: string): boolean {
  return ratios.has(key);
}

/** The characters a request sends: every message's content plus its framing, and the tool definitions. */
export function promptChars(messages: ChatMessage[], tools: ToolDescriptor[] = []): number {
  const toolChars = tools.length ? JSON.stringify(tools).length : 0;
  return messages.reduce((n, m) => n + m.content.length + PER_MESSAGE_CHARS, toolChars);
}

/**
 * Tokens the request's images take, by the same per-provider rule as the image chips (`imageTokens`). They
 * are counted apart from the characters: an image is not text, and the text's calibration must not see it.
 */
export function promptImageTokens(messages: readonly ChatMessage[], provider: EndpointConfig['type']): number {
  let tokens = 0;
  for (const m of messages)
    if (m.role === 'user')
      for (const i of m.images ?? []) tokens += i.width && i.height ? imageTokens(provider, i.width, i.height) : OLLAMA_IMAGE_TOKENS;
  return tokens;
}

/** The request's size in the model's tokens: its text by the calibrated ratio, plus `imageTokens` for its images. */
export function estimatePromptTokens(key: string, chars: number, imageTokens = 0): number {
  return Math.ceil(chars / charsPerToken(key)) + imageTokens;
}

/** Learns from a count the server made of `chars` characters (its tokenizer, or a prompt it evaluated whole). */
export function learn(key: string, chars: number, tokens: number): void {
  if (tokens < MIN_LEARN_TOKENS) return;
  const measured = Math.min(MAX_RATIO, Math.max(MIN_RATIO, chars / tokens));
  const known = ratios.get(key);
  // Smoothed: one odd prompt (all code, all prose) should move it, not replace it.
  ratios.set(key, known === undefined ? measured : known * 0.5 + measured * 0.5);
}

/** The context a conversation may fill: the user's Ollama setting bounded by the model's maximum, else what the server runs with. */
export function contextLimit(window: ContextWindow | undefined, setting: number | undefined): number | undefined {
  if (setting) return Math.min(setting, window?.max ?? Infinity);
  return window?.loaded ?? window?.max;
}

export interface Truncation {
  /** Tokens the model saw (at most). */
  seen: number;
  /** Tokens the request had (estimated in the model's tokens). */
  sent: number;
}

/**
 * Whether the server saw less than was sent, from its usage report. `estimate` is the calibrated estimate
 * of the prompt; `learnFrom` is called with the server's full count when it is one (so the estimate gets better).
 */
export function checkPrompt(key: string, chars: number, usage: UsageStats | undefined, imageTokens = 0): Truncation | undefined {
  const counted = usage?.promptTokens;
  if (counted === undefined) return undefined;
  const estimate = estimatePromptTokens(key, chars, imageTokens);
  // The server's count includes the images at its own rate (a llava projector, Qwen's per-tile count), which
  // the estimate only guesses: learning the text's ratio from it would count that guess as text. So a
  // prompt with images teaches nothing; the tokenizer (when the server has one) still calibrates the text.
  const learnable = imageTokens === 0;
  if (usage?.promptEvaluatedOnly) {
    // Ollama's prompt_eval_count leaves out the prefix it reused from its KV cache, so on a later turn of the
    // same conversation it is small for a reason that is no loss at all: a low count proves nothing. What does
    // prove a cut is a prompt bigger than the num_ctx the request ran with (Ollama keeps the end and drops the
    // rest). A count above the estimate can only mean the estimate was low: that much is learned.
    if (counted > estimate && learnable) learn(key, chars, counted);
    const context = usage.contextTokens;
    // Estimated again: what was just learned makes it better.
    const sent = estimatePromptTokens(key, chars, imageTokens);
    if (context && sent > context) return { seen: Math.min(counted, context), sent };
    return undefined;
  }
  // OpenAI-style usage counts the whole prompt, cached tokens included (llama.cpp reports those apart, as cache_n).
  // Servers count an image anywhere from a quarter to twice the estimate, so only the text can prove a cut.
  if (counted < estimatePromptTokens(key, chars) * CUT_RATIO) return { seen: counted, sent: estimate };
  if (learnable) learn(key, chars, counted);
  return undefined;
}
