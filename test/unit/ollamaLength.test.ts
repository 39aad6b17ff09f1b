/**
 * Ollama says an answer was cut at the token limit (`num_predict`, or the context filling up) with
 * `done_reason: "length"` on its last NDJSON line. Through the real `ollama` client and the chat session, that
 * must reach the page as the cut note (with Continue), not pass for a complete answer.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { HostToWebview } from '../../src/shared/protocol';
import { ChatSession, CONTINUE_PROMPT } from '../../src/streaming/chat/chatSession';
import { createProvider } from '../../src/streaming/providers/createProvider';
import type { StreamEvent } from '../../src/streaming/providers/events';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';

const silent = { info() {}, warn() {}, error() {} };
const CUT_TOKENS = ['Here are the steps:\n\n', '1. Install the', ' package\n2. Configure'];

/** Ollama's lines for an answer cut at the limit: the usual last line, but with `done_reason: "length"`. */
function cutLines(model: string, tokens: string[]): string[] {
  const lines = answerLines(model, tokens);
  const last = JSON.parse(lines.pop()!);
  assert.equal(last.done_reason, 'stop', 'the fake’s last line is the one Ollama ends with');
  return [...lines, JSON.stringify({ ...last, done_reason: 'length' }) + '\n'];
}

describe('Ollama done_reason "length" reaches the cut note', () => {
  const server = new FakeOllama();
  let posted: HostToWebview[];
  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.models = [{ name: 'small:latest' }];
    posted = [];
  });
  const endpoint = () => ({ name: 'Local', type: 'ollama' as const, url: server.url });

  it('the provider ends with reason length', async () => {
    server.onChat = (body) => ({ steps: cutLines(body.model, CUT_TOKENS) });
    const events: StreamEvent[] = [];
    const provider = createProvider(endpoint());
    for await (const e of provider.chat(
      { model: 'small:latest', messages: [{ role: 'user', content: 'Q' }] },
      new AbortController().signal,
    ))
      events.push(e);
    assert.deepEqual(events.at(-1), { type: 'done', reason: 'length' });
  });

  it('the answer ends done but cut, the page is told so with the end, and Continue asks again with the cut text', async () => {
    server.onChat = (body, i) => ({ steps: i === 0 ? cutLines(body.model, CUT_TOKENS) : answerLines(body.model, ['3. Run it.']) });
    const session = new ChatSession({
      config: () => ({ endpoint: endpoint(), model: 'small:latest', maxUpdatesPerSecond: 20 }),
      providerFor: createProvider,
      post: (m) => posted.push(typeof m === 'string' ? m : structuredClone(m)),
      log: silent,
    });
    session.send('How do I set it up?');
    await session.idle();
    const [answer] = session.snapshot().messages.filter((m) => m.role === 'assistant');
    assert.equal(answer.state, 'done');
    assert.equal(answer.cut, 'length');
    const end = posted.find((m) => typeof m !== 'string' && m.type === 'delta' && m.end) as Extract<HostToWebview, { type: 'delta' }>;
    assert.deepEqual(end.end && { state: end.end.state, cut: end.end.cut }, { state: 'done', cut: 'length' });

    assert.ok(session.continue(answer.id));
    await session.idle();
    assert.deepEqual(server.chatRequests[1].body.messages.slice(-2), [
      { role: 'assistant', content: CUT_TOKENS.join('') },
      { role: 'user', content: CONTINUE_PROMPT },
    ]);
    const answers = session.snapshot().messages.filter((m) => m.role === 'assistant');
    assert.equal(answers[1].text, '3. Run it.');
    assert.equal(answers[1].cut, undefined, 'a complete answer is not marked cut');
  });
});
