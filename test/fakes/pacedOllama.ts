/**
 * A fake Ollama /api/chat for benchmarks: writes a long answer at a steady rate against the wall clock
 * (each line is due at t0 + i/rate; a late tick writes everything due, so timer jitter never lowers the
 * rate), and records when it wrote the first and last token lines and when a client closed early.
 * The NDJSON is ollamaServer.ts's, byte for byte. What to stream comes in the last user message, as JSON:
 * `{"tokens": 20000, "rate": 1000, "firstDelayMs": 100}`. GET /bench/streams returns the records.
 *
 * Run it as its own process (so its CPU is not the host's): `node --import tsx test/fakes/pacedOllama.ts`
 * prints `{"url": "http://127.0.0.1:PORT"}` on stdout, then serves until killed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { longAnswer, realWorldDocument } from '../fixtures/markdownCorpus';
import { LoopbackServer, readBody } from './loopbackServer';
import { answerLines } from './ollamaServer';

export interface PaceSpec {
  tokens: number;
  /** Tokens per second. */
  rate: number;
  /** Time between the response headers and the first token (the model's prompt processing). */
  firstDelayMs?: number;
  /**
   * 'markdown' (default): the long answer of test/fixtures; 'prose': plain sentences, visible from the first
   * token; 'realWorld': the first `tokens` tokens of test/fixtures' real-world document (130 KB, 35k tokens).
   */
  kind?: 'markdown' | 'prose' | 'realWorld';
}

export interface StreamRecord {
  spec: PaceSpec;
  /** Epoch ms with sub-ms precision (performance.timeOrigin + performance.now()), comparable across processes. */
  requestAt: number;
  firstWriteAt?: number;
  lastWriteAt?: number;
  /** The client closed the connection before the answer was complete. */
  closedAt?: number;
  complete: boolean;
  /** How far behind its own schedule the server ever was when writing (ms): large means the server, not the client, was the limit. */
  maxLagMs: number;
  writes: number;
}

export const epochNow = () => performance.timeOrigin + performance.now();

/** Splits text into model-like tokens of about four characters (as bench/render.ts does). */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S{1,4}|\s+/g) ?? [];
}

const tokenCache = new Map<number, string[]>();

/** The first `n` tokens of the deterministic long markdown answer (prose, lists, tables, code). */
export function answerTokens(n: number): string[] {
  let tokens = tokenCache.get(n);
  if (!tokens) {
    let size = n;
    do tokens = tokenize(longAnswer(size)).slice(0, n);
    while (tokens.length < n && (size *= 2));
    tokenCache.set(n, tokens);
  }
  return tokens;
}

/** `n` tokens of plain prose: every token, the first included, is visible text once rendered. */
export function proseTokens(n: number): string[] {
  const words = 'Here is the answer to your question about streaming text into a chat view without delay'.split(' ');
  return Array.from({ length: n }, (_, i) => (i === 0 ? words[0] : ` ${words[i % words.length]}`));
}

export class PacedOllama extends LoopbackServer {
  readonly streams: StreamRecord[] = [];
  /** Decides what to stream for a request; by default it reads the spec from the last user message. */
  specFor: (body: any) => PaceSpec = (body) => JSON.parse(body.messages.filter((m: any) => m.role === 'user').at(-1).content);
  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/bench/streams') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(JSON.stringify(this.streams));
    }
    if (req.method === 'GET' && path === '/api/tags') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(
        JSON.stringify({
          models: [
            { name: 'bench:latest', model: 'bench:latest', modified_at: '2026-11-23T10:00:00Z', size: 1, digest: 'sha256:0', details: {} },
          ],
        }),
      );
    }
    if (req.method === 'POST' && path === '/api/show') {
      // As Ollama answers it: a model that can use tools (the extension asks before each turn, then caches).
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(JSON.stringify({ details: {}, model_info: {}, capabilities: ['completion', 'tools'] }));
    }
    if (req.method !== 'POST' || path !== '/api/chat') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      return void res.end('{"error":"404 page not found"}');
    }
    this.stream(body, res);
  }

  private stream(body: any, res: ServerResponse): void {
    const spec = this.specFor(body);
    const record: StreamRecord = { spec, requestAt: epochNow(), complete: false, maxLagMs: 0, writes: 0 };
    this.streams.push(record);
    const tokens =
      spec.kind === 'prose'
        ? proseTokens(spec.tokens)
        : spec.kind === 'realWorld'
          ? tokenize(realWorldDocument()).slice(0, spec.tokens)
          : answerTokens(spec.tokens);
    const lines = answerLines(body.model, tokens);
    res.on('close', () => {
      if (!record.complete) record.closedAt = epochNow();
    });
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    res.flushHeaders();
    const interval = 1000 / spec.rate;
    const t0 = performance.now() + (spec.firstDelayMs ?? 0);
    let written = 0;
    const tick = () => {
      if (res.destroyed) return;
      const now = performance.now();
      // Lines 0..n-1 are tokens, the last one is the done line (due with the last token).
      let due = Math.min(lines.length, Math.floor((now - t0) / interval) + 1);
      if (due >= lines.length - 1) due = lines.length;
      if (due > written) {
        record.maxLagMs = Math.max(record.maxLagMs, now - (t0 + written * interval));
        const at = epochNow();
        if (written === 0) record.firstWriteAt = at;
        if (due >= lines.length - 1) record.lastWriteAt = at;
        const chunk = lines.slice(written, due).join('');
        written = due;
        record.writes++;
        if (written === lines.length) {
          record.complete = true;
          res.end(chunk);
          return;
        }
        if (!res.write(chunk)) {
          res.once('drain', tick);
          return;
        }
      }
      // Never a busy loop: a timer of at least 1 ms, and whatever fell due meanwhile goes in one write.
      setTimeout(tick, Math.max(1, t0 + written * interval - performance.now()));
    };
    const first = t0 - performance.now();
    if (first > 0) setTimeout(tick, first);
    else tick();
  }
}

if (require.main === module) {
  const server = new PacedOllama();
  server.start(Number(process.env.PORT ?? 0)).then((url) => console.log(JSON.stringify({ url, pid: process.pid })));
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}
