/**
 * Prompt-cache-friendly requests and compaction (issue #17, points 6 and 3), with a provider that records
 * every request exactly as the session built it.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { HostToWebview } from '../../src/shared/protocol';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import type { StreamEvent } from '../../src/streaming/providers/events';
import type { ChatProvider, ChatRequest } from '../../src/streaming/providers/provider';
import { SUMMARY_INSTRUCTIONS } from '../../src/streaming/chat/compaction';

const silent = { info() {}, warn() {}, error() {} };

class RecordingProvider implements ChatProvider {
  readonly url = 'http://recorder';
  readonly requests: ChatRequest[] = [];
  /** Holds a summary request until released (to press Stop in the middle). */
  holdSummary: Promise<void> | undefined;
  async listModels() {
    return [{ name: 'm' }];
  }
  async contextWindow() {
    return { loaded: 2000, source: 'test' };
  }
  async *chat(request: ChatRequest, signal: AbortSignal): AsyncGenerator<StreamEvent> {
    this.requests.push(structuredClone(request));
    const summary = request.messages[0]?.content === SUMMARY_INSTRUCTIONS;
    if (summary && this.holdSummary) {
      await Promise.race([this.holdSummary, new Promise((resolve) => signal.addEventListener('abort', resolve))]);
      if (signal.aborted) return yield { type: 'done', reason: 'aborted' };
    }
    yield { type: 'text', text: summary ? 'The user asked about apples and pears.' : `Answer ${this.requests.length}.` };
    yield { type: 'done', reason: 'stop' };
  }
}

describe('requests keep a byte-identical prefix from turn to turn', () => {
  it('turn 2 starts with exactly what turn 1 sent (system, tools, history), then its answer', async () => {
    const provider = new RecordingProvider();
    let day = 1;
    const config: SessionConfig = { endpoint: { name: 'r', type: 'openai', url: provider.url }, model: 'm', maxUpdatesPerSecond: 1000 };
    const session = new ChatSession({
      config: () => config,
      providerFor: () => provider,
      post: () => {},
      log: silent,
      // The same instructions every turn, read anew each time (as the extension does).
      instructions: async () => [{ source: 'setting', text: 'Be brief.' }],
    });
    session.send('First question', [{ kind: 'selection', label: 'a.ts:1-3', text: 'const a = 1;', tokens: 4 }]);
    await session.idle();
    day++;
    session.send(`Second question on day ${day}`);
    await session.idle();
    const [first, second] = provider.requests.map((r) => JSON.stringify({ tools: r.tools, messages: r.messages }));
    const firstMessages = JSON.stringify(provider.requests[0].messages);
    // Everything turn 1 sent is the start of turn 2, byte for byte; only the answer and the new question follow.
    assert.ok(first.length > 50);
    const prefix = firstMessages.slice(0, -1); // without the closing bracket
    assert.ok(JSON.stringify(provider.requests[1].messages).startsWith(prefix), `turn 2 does not start with turn 1:\n${first}\n${second}`);
    assert.deepEqual(
      provider.requests[1].messages.slice(provider.requests[0].messages.length).map((m) => m.role),
      ['assistant', 'user'],
    );
    assert.equal(provider.requests[1].messages[0].role, 'system', 'the system prompt (the stable part) comes first');
  });
});

describe('compaction', () => {
  let provider: RecordingProvider;
  let posted: HostToWebview[];
  let config: SessionConfig;
  let session: ChatSession;
  beforeEach(() => {
    provider = new RecordingProvider();
    posted = [];
    config = { endpoint: { name: 'r', type: 'openai', url: provider.url }, model: 'm', maxUpdatesPerSecond: 1000 };
    session = new ChatSession({ config: () => config, providerFor: () => provider, post: (m) => posted.push(m), log: silent });
  });

  const talk = async (n: number, size: number) => {
    for (let i = 0; i < n; i++) {
      session.send(`Question ${i} ${'about apples '.repeat(size)}`);
      await session.idle();
    }
  };

  it('when the next request would not fit, the older part is summarised first and the request goes with summary + recent turn', async () => {
    // The server's context is 2,000 tokens; three questions of ~1,300 characters each (~330 tokens) and then a big one.
    await talk(3, 100);
    assert.equal(provider.requests.length, 3);
    session.send(`Last question ${'pears '.repeat(1000)}`);
    await session.idle();
    const [summaryRequest, request] = provider.requests.slice(3);
    assert.equal(summaryRequest.messages[0].content, SUMMARY_INSTRUCTIONS);
    assert.match(summaryRequest.messages[1].content, /Question 0[\s\S]*Question 2/);
    // The request after it: the summary (in the system message) and the last question, not the old turns.
    assert.match(request.messages[0].content, /Summary of the earlier conversation[\s\S]*apples and pears/);
    assert.deepEqual(
      request.messages.map((m) => m.role),
      ['system', 'user'],
    );
    assert.match(request.messages[1].content, /^Last question/);
    // The originals are kept: in the conversation, on disk, and on screen above the summary.
    const stored = session.conversation().messages;
    assert.equal(stored.filter((m) => m.role === 'user').length, 4);
    const shown = session.snapshot().messages;
    const summary = shown.find((m) => m.summary);
    assert.ok(summary && summary.state === 'done');
    assert.equal(shown.indexOf(summary), 6, 'after the three old turns, before the last question');
    assert.equal(summary.summary!.covers, 6);
  });

  it('with autoCompact off nothing is summarised; the compact command does it now; Undo brings the old turns back', async () => {
    config.autoCompact = false;
    await talk(2, 10);
    assert.equal(session.compact(), true);
    await session.idle();
    const summary = session.snapshot().messages.find((m) => m.summary)!;
    assert.equal(summary.text, 'The user asked about apples and pears.');
    session.send('Next');
    await session.idle();
    assert.deepEqual(
      provider.requests.at(-1)!.messages.map((m) => m.role),
      ['system', 'user', 'assistant', 'user'],
      'summary, then the kept last turn, then the new question',
    );
    assert.equal(session.undoSummary(summary.id), true);
    session.send('Again');
    await session.idle();
    assert.equal(provider.requests.at(-1)!.messages.filter((m) => m.role === 'user').length, 4, 'all questions again');
  });

  it('Stop ends a summary being written; the unfinished summary is not used', async () => {
    await talk(2, 10);
    let release = () => {};
    provider.holdSummary = new Promise((resolve) => (release = resolve));
    session.compact();
    while (!provider.requests.some((r) => r.messages[0].content === SUMMARY_INSTRUCTIONS)) await new Promise((r) => setImmediate(r));
    session.stop();
    await session.idle();
    release();
    const summary = session.snapshot().messages.find((m) => m.summary)!;
    assert.equal(summary.state, 'stopped');
    session.send('Next');
    await session.idle();
    assert.equal(provider.requests.at(-1)!.messages.filter((m) => m.role === 'user').length, 3, 'no summary in effect');
  });
});
