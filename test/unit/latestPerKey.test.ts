import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatestPerKey } from '../../src/streaming/latestPerKey';
import { spacingMs } from '../../src/streaming/throttle';
import { FakeClock } from './fakeClock';

describe('LatestPerKey: progress updates coalesced per tool call', () => {
  it('posts at most one update per gap per key, always the newest, and nothing is left behind', () => {
    const clock = new FakeClock();
    const posted: Array<[string, number, number]> = [];
    const latest = new LatestPerKey<number>(20, (k, v) => posted.push([k, v, clock.now()]), clock);
    // 1,000 progress notifications a second for one second, for two calls at once.
    for (let ms = 0; ms < 1000; ms++) {
      latest.update('a', ms);
      latest.update('b', -ms);
      clock.advance(1);
    }
    clock.advance(1000);
    for (const key of ['a', 'b']) {
      const times = posted.filter((p) => p[0] === key).map((p) => p[2]);
      assert.ok(times.length <= 21, `${key}: ${times.length} posts in a second`);
      for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= spacingMs(20));
    }
    assert.deepEqual(posted.filter((p) => p[0] === 'a').at(-1)!.slice(0, 2), ['a', 999], 'the last value arrives');
    assert.deepEqual(posted.filter((p) => p[0] === 'b').at(-1)!.slice(0, 2), ['b', -999]);
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
