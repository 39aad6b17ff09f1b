/**
 * The one token estimate (host and page alike): one token per four characters. That is OpenAI's rule of
 * thumb for English and close for code with BPE tokenizers (Llama 3, Qwen, GPT-4o land between 3.5 and 4.5
 * on source files); a local model's real tokenizer is not on the host, and the chips recompute this on every
 * selection change, so it has to be cheap. It errs on neither side systematically; the meter says "about",
 * and the server's own counts replace it where they exist.
 */
export const CHARS_PER_TOKEN = 4;

export function estimateTokens(chars: number | string): number {
  return Math.ceil((typeof chars === 'string' ? chars.length : chars) / CHARS_PER_TOKEN);
}
