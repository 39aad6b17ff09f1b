import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatestPerKey } from '../../src/streaming/pacing/latestPerKey';
import { DeltaThrottle, Pace, spacingMs } from '../../src/streaming/pacing/throttle';
import { FakeClock } from './fakeClock';

const GAP = spacingMs(20);

describe('LatestPerKey: tool progress coalesced to the update cap', () => {
  it('three cards at 1,000 updates a second each: together at most the cap, each card gets its last value', () => {
    const clock = new FakeClock();
    const posted: Array<[string, number, number]> = [];
    const latest = new LatestPerKey<number>(20, (k, v) => posted.push([k, v, clock.now()]), clock);
    for (let ms = 0; ms < 1000; ms++) {
      for (const key of ['a', 'b', 'c']) latest.update(key, ms);
      clock.advance(1);
    }
    clock.advance(1000);
    const times = posted.map((p) => p[2]);
    for (let i = 1; i < times.length; i++)
      assert.ok(times[i] - times[i - 1] >= GAP, `posts ${i - 1} and ${i} are ${times[i] - times[i - 1]} ms apart`);
    assert.ok(posted.filter((p) => p[2] < 1000).length <= 20, 'at most the cap in the first second');
    for (const key of ['a', 'b', 'c']) {
      const mine = posted.filter((p) => p[0] === key);
      assert.ok(mine.length >= 5, `${key} is not starved (${mine.length} updates)`);
      assert.equal(mine.at(-1)![1], 999, `${key} ends on its newest value`);
    }
    assert.equal(clock.pendingTimers, 0);
  });

  it('an urgent update goes out at once and a pending older value never follows it', () => {
    const clock = new FakeClock();
    const posted: number[] = [];
    const latest = new LatestPerKey<number>(20, (_k, v) => posted.push(v), clock);
    latest.update('a', 1);
    latest.update('a', 2); // within the gap: waits
    latest.update('a', 3, true); // done: now
    clock.advance(500);
    assert.deepEqual(posted, [1, 3]);
    assert.equal(clock.pendingTimers, 0);
  });

  it('shares its pace with the answer throttle: together they keep the spacing', () => {
    const clock = new FakeClock();
    const pace = new Pace();
    const times: number[] = [];
    const text = new DeltaThrottle<true>(20, () => times.push(clock.now()), clock, 0, pace);
    const cards = new LatestPerKey<number>(20, () => times.push(clock.now()), clock, pace);
    for (let ms = 0; ms < 1000; ms++) {
      text.push('x');
      cards.update('a', ms);
      clock.advance(1);
    }
    text.close(true);
    clock.advance(1000);
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= GAP);
    assert.ok(times.filter((t) => t < 1000).length <= 20);
  });

  it('dispose drops what is pending', () => {
    const clock = new FakeClock();
    const posted: number[] = [];
    const latest = new LatestPerKey<number>(20, (_k, v) => posted.push(v), clock);
    latest.update('a', 1);
    latest.update('a', 2);
    latest.dispose();
    clock.advance(500);
    assert.deepEqual(posted, [1]);
  });
});
