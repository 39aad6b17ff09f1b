import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianDifference, shareInterval } from '../../bench/stats';

/** Samples with the editor bench's kind of spread: most near `centre`, one slow outlier. */
function samples(centre: number, n: number, seed: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(centre + Math.sin(seed * 97 + i * 13.7) * 1.5);
  out[n - 1] += 40;
  return out;
}

test('the median difference of two runs of the same figure has an interval around zero', () => {
  const d = medianDifference(samples(6, 10, 1), samples(6, 10, 2));
  assert.ok(d.low < 0 && d.high > 0, JSON.stringify(d));
});

test('a side that is clearly slower is behind: the whole interval is above zero', () => {
  const d = medianDifference(samples(9, 10, 1), samples(6, 10, 2));
  assert.ok(d.low > 0, JSON.stringify(d));
  assert.ok(d.difference > 2 && d.difference < 4, JSON.stringify(d));
});

test('the interval is the same every time (a fixed seed)', () => {
  const a = samples(6, 12, 3);
  const b = samples(7, 12, 4);
  assert.deepEqual(medianDifference(a, b), medianDifference(a, b));
});

test('the share of answers with a long task comes with its Wilson interval', () => {
  const pct = (x: number) => Math.round(x * 1000) / 10;
  const one = shareInterval(1, 8);
  assert.deepEqual([pct(one.low), pct(one.high)], [2.2, 47.1]);
  const three = shareInterval(3, 8);
  assert.deepEqual([pct(three.low), pct(three.high)], [13.7, 69.4]);
  // Zero in 8 is not zero for sure: up to about a third is still likely.
  const none = shareInterval(0, 8);
  assert.deepEqual([none.low, pct(none.high)], [0, 32.4]);
  // More answers narrow it: 0 of 32 leaves at most about 11%.
  assert.ok(shareInterval(0, 32).high < 0.11);
  assert.deepEqual(shareInterval(8, 8).high, 1);
});
