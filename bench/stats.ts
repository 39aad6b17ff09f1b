/** Small helpers shared by the benchmarks: percentiles, a results file, a printed table. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

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
