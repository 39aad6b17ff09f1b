import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import type { ProviderError, ProviderErrorKind, StreamEvent } from '../../src/streaming/providers/events';
import { OpenAIProvider } from '../../src/streaming/providers/openai/openaiProvider';
import { backoffMs, withRetry, type RetryOptions } from '../../src/streaming/chat/retry';
import { answerLines, FakeOpenAI } from '../fakes/openaiServer';
import { FakeClock } from './fakeClock';

const error = (kind: ProviderErrorKind): StreamEvent => ({ type: 'error', error: { kind, message: `${kind} happened` } });
const answer: StreamEvent[] = [
  { type: 'text', text: 'Hi' },
  { type: 'done', reason: 'stop' },
];

/** A scripted provider: attempt n streams `scripts[n]` (the last one repeats), counting starts and closes. */
function scripted(scripts: StreamEvent[][]) {
  const log = { starts: 0, closedEarly: 0 };
  const start = () => {
    const events = scripts[Math.min(log.starts, scripts.length - 1)];
    log.starts++;
    return (async function* () {
      let i = 0;
      try {
        for (; i < events.length; i++) yield events[i];
      } finally {
        if (i < events.length - 1) log.closedEarly++;
      }
    })();
  };
  return { start, log };
}

/** Lets the generator run until it has nothing left to do but wait for a timer. */
const settle = () => new Promise<void>((r) => setImmediate(r));

interface Harness {
  clock: FakeClock;
  controller: AbortController;
  retries: Array<{ attempt: number; delayMs: number; error: ProviderError }>;
  opts: RetryOptions;
}
function harness(over: Partial<RetryOptions> = {}): Harness {
  const clock = new FakeClock();
  const controller = new AbortController();
  const retries: Harness['retries'] = [];
  const opts: RetryOptions = {
    attempts: 4,
    baseMs: 100,
    maxMs: 1000,
    clock,
    random: () => 0.999,
    signal: controller.signal,
    onRetry: (attempt, delayMs, error) => retries.push({ attempt, delayMs, error }),
    ...over,
  };
  return { clock, controller, retries, opts };
}

/** Collects the stream, moving the fake clock over each wait as soon as one is pending. */
async function runAdvancing(stream: AsyncIterable<StreamEvent>, h: Harness): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  let finished = false;
  const run = (async () => {
    for await (const e of stream) events.push(e);
    finished = true;
  })();
  while (!finished) {
    await settle();
    const last = h.retries.at(-1);
    if (h.clock.pendingTimers > 0 && last) h.clock.advance(last.delayMs);
  }
  await run;
  return events;
}

describe('withRetry', () => {
  it('retries a refused connection with exponentially growing delays, then passes the stream through', async () => {
    const h = harness();
    const { start, log } = scripted([[error('unreachable')], [error('unreachable')], [error('unreachable')], answer]);
    const events = await runAdvancing(withRetry(start, h.opts), h);
    assert.deepEqual(events, answer);
    assert.equal(log.starts, 4);
    // Full jitter at random ≈ 1 sits at the cap: 100, 200, 400.
    assert.deepEqual(
      h.retries.map((r) => [r.attempt, r.delayMs]),
      [
        [1, 100],
        [2, 200],
        [3, 400],
      ],
    );
    assert.equal(h.retries[0].error.kind, 'unreachable');
    assert.equal(h.clock.now(), 700, 'exactly the waits passed on the injected clock');
  });

  it('does not start the next attempt before its wait is over', async () => {
    const h = harness();
    const { start, log } = scripted([[error('unreachable')], answer]);
    const events: StreamEvent[] = [];
    const run = (async () => {
      for await (const e of withRetry(start, h.opts)) events.push(e);
    })();
    await settle();
    assert.equal(log.starts, 1);
    assert.equal(h.clock.pendingTimers, 1);
    h.clock.advance(99);
    await settle();
    assert.equal(log.starts, 1, 'still waiting at 99 of 100 ms');
    h.clock.advance(1);
    await run;
    assert.equal(log.starts, 2);
    assert.deepEqual(events, answer);
  });

  it('keeps every delay between 0 and the attempt cap, the cap doubling up to maxMs', () => {
    const draws = [0, 0.25, 0.5, 0.75, 0.999999, 1, -0.5, 7];
    for (let attempt = 1; attempt <= 10; attempt++) {
      const cap = Math.min(1000, 100 * 2 ** (attempt - 1));
      for (const r of draws) {
        const d = backoffMs(attempt, { baseMs: 100, maxMs: 1000, random: () => r });
        assert.ok(d >= 0 && d <= cap, `attempt ${attempt}, random ${r}: ${d} ms within [0, ${cap}]`);
      }
      assert.equal(backoffMs(attempt, { baseMs: 100, maxMs: 1000, random: () => 1 }), cap);
    }
    assert.equal(backoffMs(3, { baseMs: 100, maxMs: 1000, random: () => 0.5 }), 200, 'half of the 400 cap');
  });

  it('bounds the attempts and then passes the last error through unchanged', async () => {
    const h = harness({ attempts: 3 });
    const last = error('unreachable');
    const { start, log } = scripted([[error('unreachable')], [error('unreachable')], [last]]);
    const events = await runAdvancing(withRetry(start, h.opts), h);
    assert.equal(log.starts, 3);
    assert.equal(h.retries.length, 2);
    assert.deepEqual(events, [last]);
    assert.equal(events[0], last, 'the very same event');
  });

  it('Stop during a wait ends at once with done aborted, clears the timer, and starts nothing more', async () => {
    const h = harness({ maxMs: 60_000, baseMs: 60_000 });
    const { start, log } = scripted([[error('unreachable')], answer]);
    const events: StreamEvent[] = [];
    const run = (async () => {
      for await (const e of withRetry(start, h.opts)) events.push(e);
    })();
    await settle();
    assert.equal(h.clock.pendingTimers, 1, 'waiting');
    h.controller.abort();
    await run; // no clock movement needed
    assert.deepEqual(events, [{ type: 'done', reason: 'aborted' }]);
    assert.equal(h.clock.pendingTimers, 0);
    assert.equal(log.starts, 1);
  });

  it('retries a dropped connection when it is the first event (nothing was shown)', async () => {
    const h = harness();
    const { start, log } = scripted([[error('dropped')], answer]);
    assert.deepEqual(await runAdvancing(withRetry(start, h.opts), h), answer);
    assert.equal(log.starts, 2);
  });

  it('never retries once a token was yielded: a drop after text, or after thinking, passes through', async () => {
    for (const first of [
      { type: 'text', text: 'Hel' },
      { type: 'thinking', text: 'hmm' },
    ] as StreamEvent[]) {
      const h = harness();
      const script = [first, error('dropped')];
      const { start, log } = scripted([script, answer]);
      assert.deepEqual(await runAdvancing(withRetry(start, h.opts), h), script);
      assert.equal(log.starts, 1);
      assert.equal(h.retries.length, 0);
    }
  });

  for (const kind of ['modelNotFound', 'auth', 'server', 'protocol', 'noModels'] as const) {
    it(`never retries an error of kind ${kind}`, async () => {
      const h = harness();
      const { start, log } = scripted([[error(kind)], answer]);
      assert.deepEqual(await runAdvancing(withRetry(start, h.opts), h), [error(kind)]);
      assert.equal(log.starts, 1);
      assert.equal(h.clock.pendingTimers, 0);
    });
  }

  it('closes the underlying stream when its consumer stops reading', async () => {
    const h = harness();
    const { start, log } = scripted([
      [
        { type: 'text', text: 'a' },
        { type: 'text', text: 'b' },
        { type: 'done', reason: 'stop' },
      ],
    ]);
    for await (const e of withRetry(start, h.opts)) {
      assert.deepEqual(e, { type: 'text', text: 'a' });
      break;
    }
    assert.equal(log.closedEarly, 1);
  });

  it('with the real OpenAIProvider: a server that starts listening between attempts is reached', async () => {
    // Reserve a port, leave it closed for the first attempt, then start the fake server on it.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const server = new FakeOpenAI();
    server.onChat = (body) => ({ steps: answerLines(body.model, ['up ', 'now']) });
    const provider = new OpenAIProvider(`http://127.0.0.1:${port}/v1`);
    const h = harness({
      onRetry: (attempt, delayMs, error) => {
        h.retries.push({ attempt, delayMs, error });
        void server.start(port).then(() => h.clock.advance(delayMs));
      },
    });
    try {
      const events: StreamEvent[] = [];
      for await (const e of withRetry(
        () => provider.chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, h.controller.signal),
        h.opts,
      ))
        events.push(e);
      assert.equal(h.retries.length, 1);
      assert.equal(h.retries[0].error.kind, 'unreachable');
      assert.equal(events.map((e) => (e.type === 'text' ? e.text : '')).join(''), 'up now');
      assert.deepEqual(events.at(-1), { type: 'done', reason: 'stop' });
    } finally {
      await server.stop();
    }
  });
});
