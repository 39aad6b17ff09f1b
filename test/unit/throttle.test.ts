import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeltaThrottle, spacingMs, type Flush } from '../../src/streaming/pacing/throttle';
import { FakeClock } from './fakeClock';

type End = { state: string };

function setup(cap = 20) {
  const clock = new FakeClock();
  const posts: Array<Flush<End> & { at: number }> = [];
  const throttle = new DeltaThrottle<End>(cap, (f) => posts.push({ ...f, at: clock.now() }), clock);
  return { clock, posts, throttle };
}

/** The most posts that fall in any half-open one-second window. */
function maxPerSecond(times: number[]): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('DeltaThrottle', () => {
  it('posts the first text at once, with no added latency', () => {
    const { posts, throttle } = setup();
    throttle.push('Hel');
    assert.equal(posts.length, 1);
    assert.deepEqual(posts[0], { seq: 1, text: 'Hel', at: 0 });
  });

  it('spaces posts at least 1000/cap ms apart, with a little headroom', () => {
    for (const cap of [1, 7, 20, 60, 120]) {
      assert.ok(spacingMs(cap) >= 1000 / cap && spacingMs(cap) <= (1000 / cap) * 1.1, `cap ${cap}: ${spacingMs(cap)} ms`);
    }
    assert.equal(spacingMs(0), 1050, 'a cap below 1 is treated as 1');
    assert.equal(spacingMs(Number.NaN), spacingMs(20));
  });

  it('coalesces text that arrives within the gap into the next post', () => {
    const { clock, posts, throttle } = setup(20);
    const gap = spacingMs(20);
    throttle.push('a');
    clock.advance(10);
    throttle.push('b');
    clock.advance(10);
    throttle.push('c');
    clock.advance(gap - 21);
    assert.equal(posts.length, 1, 'nothing more before the gap ends');
    clock.advance(1);
    assert.equal(posts.length, 2);
    assert.deepEqual(posts[1], { seq: 2, text: 'bc', at: gap });
  });

  for (const cap of [20, 5, 60]) {
    it(`never exceeds ${cap} posts in any second at 1,000 tokens/s, and loses no text`, () => {
      const { clock, posts, throttle } = setup(cap);
      let input = '';
      for (let i = 0; i < 5000; i++) {
        const token = `t${i} `;
        input += token;
        throttle.push(token);
        clock.advance(1);
      }
      throttle.close({ state: 'done' });
      clock.advance(1000);
      assert.ok(maxPerSecond(posts.map((p) => p.at)) <= cap, `at most ${cap} a second, got ${maxPerSecond(posts.map((p) => p.at))}`);
      assert.ok(posts.length >= cap * 4.5, `it does keep posting at about the cap (${posts.length} in 5 s)`);
      assert.equal(posts.map((p) => p.text).join(''), input, 'deltas concatenate to exactly the input');
      assert.deepEqual(
        posts.map((p) => p.seq),
        posts.map((_, i) => i + 1),
        'sequence numbers go 1, 2, 3…',
      );
      assert.deepEqual(posts.at(-1)!.end, { state: 'done' });
      assert.equal(posts.filter((p) => p.end).length, 1);
    });
  }

  it('makes the final post on done with the text still pending, within the spacing', () => {
    const { clock, posts, throttle } = setup(20);
    throttle.push('a');
    clock.advance(5);
    throttle.push('b');
    throttle.close({ state: 'done' });
    assert.equal(posts.length, 1, 'waits for the gap');
    clock.advance(spacingMs(20) - 5);
    assert.deepEqual(posts[1], { seq: 2, text: 'b', end: { state: 'done' }, at: spacingMs(20) });
    assert.equal(clock.pendingTimers, 0);
  });

  it('makes the final post on abort immediately when the gap has passed, even with no text pending', () => {
    const { clock, posts, throttle } = setup(20);
    throttle.push('partial');
    clock.advance(200);
    throttle.close({ state: 'stopped' });
    assert.deepEqual(posts[1], { seq: 2, text: '', end: { state: 'stopped' }, at: 200 });
  });

  it('ignores text after close and posts nothing after dispose', () => {
    const { clock, posts, throttle } = setup(20);
    throttle.push('a');
    throttle.push('b');
    throttle.dispose();
    clock.advance(1000);
    throttle.push('c');
    assert.equal(posts.length, 1);
    assert.equal(clock.pendingTimers, 0);
  });

  it('continues the sequence from a given start', () => {
    const clock = new FakeClock();
    const posts: Flush<End>[] = [];
    const throttle = new DeltaThrottle<End>(20, (f) => posts.push(f), clock, 7);
    throttle.push('x');
    assert.equal(posts[0].seq, 8);
  });
});
