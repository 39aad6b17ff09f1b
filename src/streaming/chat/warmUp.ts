import { monotonicClock } from '../../shared/clock';
import { TextToolCallFilter } from '../../tools/textToolCalls/textToolCallFilter';
import { Pace } from '../pacing/throttle';
import { OllamaProvider } from '../providers/ollama/ollamaProvider';
import { requestPath } from '../wire/lineGuard';
import { AnswerStream } from './answerStream';
import { runTurn } from './chatTurn';

const REPLY = [
  { model: 'warm-up', created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: 'Hi' }, done: false },
  { model: 'warm-up', created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' },
]
  .map((line) => `${JSON.stringify(line)}\n`)
  .join('');

/**
 * Streams a two-line reply made up in memory along a turn's way from the socket to the view (the line guard,
 * ollama-js, the provider, the retrying turn, the text-call filter, the answer's throttle), posting nowhere,
 * so that the first answer of a window does not compile that code on the way to its first token: in a
 * fresh extension host the first chunk took 1.2-1.7 ms to become a post, 0.3-0.5 ms once warm
 * (code-server, bench/editorFirstToken.ts). Nothing goes to the network or the view.
 */
export async function warmTurnPath(): Promise<void> {
  const inMemory: typeof fetch = async (input) =>
    new Response(requestPath(input).endsWith('/api/chat') ? REPLY : '{}', { headers: { 'content-type': 'application/json' } });
  const provider = new OllamaProvider('http://warm-up.invalid', {}, inMemory);
  let posts = 0;
  const answer = new AnswerStream({
    maxUpdatesPerSecond: 20,
    clock: monotonicClock,
    pace: new Pace(),
    post: () => posts++,
    save: () => {},
  });
  const calls = new TextToolCallFilter(['warm_up']);
  const outcome = await runTurn(provider, { model: 'warm-up', messages: [{ role: 'user', content: 'Hi' }] }, new AbortController().signal, {
    onText: (text) => {
      const shown = calls.push(text);
      if (shown) answer.pushText(shown);
    },
  });
  const rest = calls.end();
  if (rest.text) answer.pushText(rest.text);
  await answer.end('done');
  if (outcome.state !== 'done' || posts === 0) throw new Error(`the made-up reply ended as ${outcome.state} after ${posts} posts`);
}
