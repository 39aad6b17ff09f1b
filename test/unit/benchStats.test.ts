import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianDifference } from '../../bench/stats';

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
