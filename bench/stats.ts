/** Small helpers shared by the benchmarks: percentiles, a results file, a printed table. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

export function summary(values: number[]): { p50: number; p95: number; max: number; n: number } {
  return { p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values), n: values.length };
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

export const resultsFile = join(__dirname, 'results.json');

/** Merges one section into bench/results.json, so each benchmark can also run on its own. */
export function saveSection(name: string, data: unknown): void {
  mkdirSync(__dirname, { recursive: true });
  const all = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : {};
  all[name] = data;
  all.machine = { cpus: require('node:os').cpus().length, node: process.version, date: new Date().toISOString() };
  writeFileSync(resultsFile, JSON.stringify(all, null, 2) + '\n');
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(cells[0]), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.slice(1).map(line)].join('\n');
}

/**
 * How far `a`'s median is from `b`'s (a − b), with a 95% interval from resampling both sides (bootstrap,
 * percentile method, a fixed seed so a results file reads the same twice). With a handful of samples a side,
 * a median difference of a millisecond is as likely noise as not: the interval says which.
 */
export function medianDifference(a: number[], b: number[], rounds = 4000): { difference: number; low: number; high: number } {
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const resample = (values: number[]) => values.map(() => values[Math.floor(random() * values.length)]);
  const differences: number[] = [];
  for (let i = 0; i < rounds; i++) differences.push(median(resample(a)) - median(resample(b)));
  differences.sort((x, y) => x - y);
  return {
    difference: median(a) - median(b),
    low: differences[Math.floor(0.025 * rounds)],
    high: differences[Math.ceil(0.975 * rounds) - 1],
  };
}

/**
 * The share of `n` trials in which something happened (`k`), with its 95% interval (Wilson's score interval,
 * which stays inside 0-1 and is sound for a handful of trials). A long-task run asks in how many answers a
 * side had one: 1 of 8 and 3 of 8 have intervals of 2-47% and 14-69%, so one run of 8 answers a side cannot
 * tell such builds apart, and 0 of 8 still allows up to 32%.
 */
export function shareInterval(k: number, n: number): { share: number; low: number; high: number } {
  if (n <= 0) return { share: Number.NaN, low: 0, high: 1 };
  const z = 1.96;
  const p = k / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return { share: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
