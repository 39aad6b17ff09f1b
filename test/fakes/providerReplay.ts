/**
 * Replays the provider transcripts in test/fixtures/providers/ (see its README for where each comes from)
 * through FakeOpenAI: the file's bytes go out unchanged, one SSE event per write, as a server flushes them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatScript } from './openaiServer';

export const FIXTURES_DIR = join(__dirname, '..', 'fixtures', 'providers');

export type ProviderFixture =
  | 'openrouter-reasoning-comments'
  | 'openrouter-midstream-error'
  | 'perplexity-citations'
  | 'gemini-tool-call'
  | 'gemini-after-tool'
  | 'deepseek-reasoning-content'
  | 'length'
  | 'openai-reasoning-usage';

export function fixtureText(name: ProviderFixture): string {
  return readFileSync(join(FIXTURES_DIR, `${name}.sse`), 'utf8');
}

/** The fixture split after each blank line (an event's end), so the bytes are exactly the file's. */
export function replay(name: ProviderFixture): ChatScript {
  const text = fixtureText(name);
  const steps = text.split(/(?<=\n\n)/);
  return { steps };
}

/** The thought signature in gemini-tool-call.sse, which Gemini requires back on the next request. */
export const GEMINI_SIGNATURE = 'CiQBjz1rX0vF2yq9dGZ0aG91Z2h0X3NpZ25hdHVyZV9leGFtcGxlEkUKQwGPPWtf';

/** Gemini's answer to a follow-up whose function call lacks its signature (a JSON array, as Gemini sends errors). */
export const GEMINI_MISSING_SIGNATURE = JSON.stringify([
  {
    error: {
      code: 400,
      message:
        'Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:echo` , position 2. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.',
      status: 'INVALID_ARGUMENT',
    },
  },
]);

/**
 * Gemini's compatibility endpoint, as far as the fixtures go: the first request gets the tool call; a later
 * one is answered only when every assistant tool call in it carries the signature back, else 400.
 */
export function geminiScript(body: any): ChatScript {
  const calls = (body?.messages ?? []).flatMap((m: any) => (m.role === 'assistant' ? (m.tool_calls ?? []) : []));
  if (calls.length === 0) return replay('gemini-tool-call');
  const signed = calls.every((c: any) => c?.extra_content?.google?.thought_signature === GEMINI_SIGNATURE);
  return signed ? replay('gemini-after-tool') : { status: 400, errorBody: GEMINI_MISSING_SIGNATURE };
}
