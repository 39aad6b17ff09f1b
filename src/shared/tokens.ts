/**
 * The one token estimate: about four characters a token for English prose and code with common
 * tokenizers. A heuristic, shown as such ("≈"); the server's own counts replace it where they exist.
 */
export const CHARS_PER_TOKEN = 4;

export function estimateTokens(chars: number | string): number {
  return Math.ceil((typeof chars === 'string' ? chars.length : chars) / CHARS_PER_TOKEN);
}
