/**
 * Figure 7: the highest token rate the host path (fake Ollama in its own process -> OllamaProvider ->
 * ChatSession -> serialising post) keeps up with. At each rate of a ladder the server writes
 * rate × seconds tokens on schedule; the host keeps up when the whole answer has been posted within 10%
 * of the ideal time (first token to last, measured in the host) and is complete. The ceiling of a run is
 * the last rate of the ladder that kept up. The naive host (whole text per token) climbs the same ladder.
 */
import { answerTokens } from '../test/fakes/pacedOllama';
import { median, runNaive, runOurs, type ServerChild } from './hosts';
import type { Figure } from './report';

export const RATES = [1_000, 5_000, 10_000, 20_000, 50_000];
const SLACK = 1.1;

export interface RateResult {
  rate: number;
  tokens: number;
  /** First text posted -> the message that ends the answer posted (host clock). */
  elapsedMs: number;
  idealMs: number;
  complete: boolean;
  keptUp: boolean;
  /** How far the server itself ever fell behind its schedule (it waits when the client stops reading). */
  serverLagMs: number;
}

async function atRate(server: ServerChild, mode: 'ours' | 'naive', rate: number, seconds: number): Promise<RateResult> {
  const tokens = Math.round(rate * seconds);
  const spec = { tokens, rate, firstDelayMs: 20 };
  const idealMs = ((tokens - 1) / rate) * 1000;
  // Give up on a host that is far behind (only the naive one does): at twice the ideal time, plus a second.
  const deadline = performance.now() + 2 * idealMs + 1000;
  const run = mode === 'ours' ? await runOurs(server.url, spec, { deadline }) : await runNaive(server.url, spec, { deadline });
  const streams = await server.streams();
  const { stats } = run;
  const elapsedMs = (stats.endAt ?? Number.NaN) - (stats.firstDeltaAt ?? Number.NaN);
  const complete = stats.endState === 'done' && stats.text === answerTokens(tokens).join('');
  return {
    rate,
    tokens,
    elapsedMs,
    idealMs,
    complete,
    keptUp: complete && elapsedMs <= SLACK * idealMs,
    serverLagMs: streams.at(-1)?.maxLagMs ?? Number.NaN,
  };
}

/** Climbs the ladder until a rate is not kept up; returns the results and the last rate kept up (0 if none). */
async function ladder(server: ServerChild, mode: 'ours' | 'naive', seconds: number): Promise<{ ceiling: number; rates: RateResult[] }> {
  const rates: RateResult[] = [];
  let ceiling = 0;
  for (const rate of RATES) {
    const r = await atRate(server, mode, rate, seconds);
    rates.push(r);
    if (!r.keptUp) break;
    ceiling = rate;
  }
  return { ceiling, rates };
}

export async function benchThroughput(
  server: ServerChild,
  opts: { runs: number; seconds: number },
  log: (s: string) => void,
): Promise<{ figures: Figure[]; section: unknown }> {
  await runOurs(server.url, { tokens: 2000, rate: 100_000 }); // warm-up
  const runs: Array<{ ours: Awaited<ReturnType<typeof ladder>>; naive: Awaited<ReturnType<typeof ladder>> }> = [];
  for (let i = 0; i < opts.runs; i++) {
    const ours = await ladder(server, 'ours', opts.seconds);
    const naive = await ladder(server, 'naive', opts.seconds);
    const show = (l: typeof ours) =>
      l.rates
        .map((r) => `${r.rate / 1000}k:${(r.elapsedMs / r.idealMs).toFixed(2)}${r.keptUp ? '' : r.complete ? '✗' : '✗(cut)'}`)
        .join(' ');
    log(`  throughput run ${i + 1}/${opts.runs} (elapsed/ideal per rate): ours ${show(ours)}; naive ${show(naive)}`);
    runs.push({ ours, naive });
  }
  const top = RATES.at(-1)!;
  const oursCeilings = runs.map((r) => r.ours.ceiling);
  const figures: Figure[] = [
    {
      measure: `Throughput ceiling, tokens/s kept up within 10% (ladder ${RATES.map((r) => `${r / 1000}k`).join('/')})`,
      chartLabel: oursCeilings.every((c) => c === top) ? 'Token rate kept up with (ours: ladder top)' : 'Highest token rate kept up with',
      unit: 'tokens/s',
      digits: 0,
      ours: oursCeilings,
      naive: runs.map((r) => r.naive.ceiling),
      better: 'higher',
      target: {
        label: `>= 5,000 tokens/s${oursCeilings.every((c) => c === top) ? ` (top of the ladder)` : ''}`,
        met: median(oursCeilings) >= 5000,
      },
    },
  ];
  return { figures, section: { rates: RATES, seconds: opts.seconds, slack: SLACK, runs } };
}
