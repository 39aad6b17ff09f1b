/**
 * Figure 1: host → webview traffic for a long answer (default 20,000 tokens at 1,000 tokens/s), streamed
 * by the paced fake Ollama (its own process) through the real ChatSession. The naive host (every token
 * posted with the whole text so far) is computed from the same token stream, as seen by the provider.
 */
import { randomUUID } from 'node:crypto';
import type { Figure } from './report';
import { maxInWindow, median, runOurs, type ServerChild } from './hosts';
import { answerTokens } from '../test/fakes/pacedOllama';

export interface TrafficOptions {
  runs: number;
  tokens: number;
  rate: number;
  cap?: number;
}

export interface TrafficRun {
  tokens: number;
  answerBytes: number;
  complete: boolean;
  ours: { messages: number; deltas: number; bytes: number; maxPerSecond: number; meanPerSecond: number };
  naive: { messages: number; bytes: number; maxPerSecond: number; meanPerSecond: number };
  durationMs: number;
}

const utf8 = (s: string) => Buffer.byteLength(s);

/** Bytes a host would post sending every token as `{type: 'delta', id, seq, text: <whole text so far>}`. */
export function naiveBytes(tokens: string[], id = randomUUID()): number {
  // JSON escaping works character by character, so the escaped whole text is the sum of the escaped tokens.
  const envelope = utf8(JSON.stringify({ type: 'delta', id, seq: 0, text: '' })) - 1; // minus the "0"
  let escaped = 0;
  let total = 0;
  tokens.forEach((t, i) => {
    escaped += utf8(JSON.stringify(t)) - 2;
    total += envelope + String(i + 1).length + escaped;
  });
  // The closing message carries the whole text once more, with the end of the message.
  total += utf8(JSON.stringify({ type: 'delta', id, seq: tokens.length + 1, text: '', end: { state: 'done' } })) + escaped;
  return total;
}

export async function trafficRun(server: ServerChild, opts: TrafficOptions): Promise<TrafficRun> {
  const spec = { tokens: opts.tokens, rate: opts.rate, firstDelayMs: 50 };
  const run = await runOurs(server.url, spec, { tap: true });
  const expected = answerTokens(opts.tokens).join('');
  const { stats, tokens } = run;
  const durationMs = (stats.endAt ?? Number.NaN) - (stats.firstDeltaAt ?? Number.NaN);
  const nonDeltaBytes = stats.bytes - stats.deltaBytes;
  const tokenTimes = tokens.map((t) => t.at);
  const naiveTotal = naiveBytes(tokens.map((t) => t.text)) + nonDeltaBytes;
  return {
    tokens: tokens.length,
    answerBytes: utf8(stats.text),
    complete: stats.text === expected && stats.endState === 'done',
    ours: {
      messages: stats.messages,
      deltas: stats.deltaTimes.length,
      bytes: stats.bytes,
      maxPerSecond: maxInWindow(stats.deltaTimes),
      meanPerSecond: stats.deltaTimes.length / (durationMs / 1000),
    },
    naive: {
      messages: stats.messages - stats.deltaTimes.length + tokens.length + 1,
      bytes: naiveTotal,
      maxPerSecond: maxInWindow(tokenTimes),
      meanPerSecond: tokens.length / ((tokenTimes.at(-1)! - tokenTimes[0]) / 1000),
    },
    durationMs,
  };
}

export async function benchTraffic(
  server: ServerChild,
  opts: TrafficOptions,
  log: (s: string) => void,
): Promise<{ figures: Figure[]; section: unknown }> {
  const runs: TrafficRun[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const r = await trafficRun(server, opts);
    log(
      `  traffic run ${i + 1}/${opts.runs}: ${r.ours.deltas} deltas (max ${r.ours.maxPerSecond}/s), ${(r.ours.bytes / 1024).toFixed(1)} KB for a ${(r.answerBytes / 1024).toFixed(1)} KB answer; naive ${(r.naive.bytes / 1024 / 1024).toFixed(1)} MB${r.complete ? '' : ' — INCOMPLETE'}`,
    );
    runs.push(r);
  }
  const cap = opts.cap ?? 20;
  const complete = runs.every((r) => r.complete);
  const label = `${opts.tokens / 1000}k tokens at ${opts.rate / 1000}k/s`;
  const figures: Figure[] = [
    {
      measure: `Updates/s to webview, max in any 1 s (${label})`,
      chartLabel: 'Updates per second (max in 1 s)',
      unit: '/s',
      digits: 0,
      ours: runs.map((r) => r.ours.maxPerSecond),
      naive: runs.map((r) => r.naive.maxPerSecond),
      better: 'lower',
      target: { label: `<= ${cap}/s (every run)`, met: complete && runs.every((r) => r.ours.maxPerSecond <= cap) },
    },
    {
      measure: 'Updates/s to webview, mean',
      unit: '/s',
      digits: 1,
      ours: runs.map((r) => r.ours.meanPerSecond),
      naive: runs.map((r) => r.naive.meanPerSecond),
      better: 'lower',
      chart: false,
    },
    {
      measure: `Bytes posted, × answer size (${(runs[0].answerBytes / 1024).toFixed(1)} KB; ours ${(median(runs.map((r) => r.ours.bytes)) / 1024).toFixed(1)} KB)`,
      chartLabel: 'Bytes posted to the webview',
      unit: '×',
      digits: 2,
      ours: runs.map((r) => r.ours.bytes / r.answerBytes),
      naive: runs.map((r) => r.naive.bytes / r.answerBytes),
      better: 'lower',
      target: { label: '<= 1.1× answer', met: complete && runs.every((r) => r.ours.bytes <= 1.1 * r.answerBytes) },
    },
  ];
  return { figures, section: { ...opts, runs } };
}
