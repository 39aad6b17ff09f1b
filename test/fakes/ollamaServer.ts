/**
 * A local server that speaks Ollama's HTTP API byte for byte (NDJSON on /api/chat, JSON on /api/tags),
 * scripted per request, recording what it received and when a client closed the connection early.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer, readBody } from './loopbackServer';

export type Step = string | Uint8Array | { delayMs: number };

export interface ChatScript {
  /** Hold back the response headers this long (a cold model loading), or until the client gives up. */
  holdHeadersMs?: number;
  /** A non-200 answer: written as Ollama does, `{"error": "…"}` with that status. */
  status?: number;
  error?: string;
  /** Raw body writes, in order; a string may hold part of a line or several lines. */
  steps?: Step[];
  /** Leave the response open after the steps (a server that stalls). */
  hang?: boolean;
}

export interface RecordedRequest {
  path: string;
  body: any;
  at: number;
}

export interface ClosedConnection {
  path: string;
  /** performance.now() when the server saw the client close before the response was complete. */
  at: number;
  headersSent: boolean;
}

export interface FakeModel {
  name: string;
  parameter_size?: string;
  quantization_level?: string;
}

const CREATED = '2026-11-23T10:00:00.000000Z';

/** The NDJSON lines Ollama writes for an answer made of these tokens. */
export function answerLines(model: string, tokens: string[], opts: { toolCalls?: unknown[]; thinking?: string[] } = {}): string[] {
  const lines: string[] = [];
  for (const t of opts.thinking ?? [])
    lines.push(
      JSON.stringify({ model, created_at: CREATED, message: { role: 'assistant', content: '', thinking: t }, done: false }) + '\n',
    );
  for (const t of tokens)
    lines.push(JSON.stringify({ model, created_at: CREATED, message: { role: 'assistant', content: t }, done: false }) + '\n');
  if (opts.toolCalls)
    lines.push(
      JSON.stringify({ model, created_at: CREATED, message: { role: 'assistant', content: '', tool_calls: opts.toolCalls }, done: false }) +
        '\n',
    );
  lines.push(doneLine(model, tokens.length));
  return lines;
}

/** `promptEvalCount`: the prompt tokens the server says it evaluated (Ollama leaves out what did not fit num_ctx). */
export function doneLine(model: string, evalCount: number, promptEvalCount = 26): string {
  return (
    JSON.stringify({
      model,
      created_at: CREATED,
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      total_duration: 1_000_000_000,
      load_duration: 1_000_000,
      prompt_eval_count: promptEvalCount,
      prompt_eval_duration: 1_000_000,
      eval_count: evalCount,
      eval_duration: 500_000_000,
    }) + '\n'
  );
}

/** Steps that write the lines `perWrite` bytes at a time (splitting UTF-8 characters too), as a network may. */
export function splitWrites(lines: string[], perWrite: number): Step[] {
  const all = Buffer.from(lines.join(''), 'utf8');
  const steps: Step[] = [];
  for (let i = 0; i < all.length; i += perWrite) steps.push(all.subarray(i, i + perWrite));
  return steps;
}

/** Steps that write one token line every `intervalMs` (a model generating at 1000/intervalMs tokens/s). */
export function paced(lines: string[], intervalMs: number): Step[] {
  return lines.flatMap((l, i) => (i === 0 ? [l] : [{ delayMs: intervalMs }, l]));
}

/** Steps that write lines at about `perSecond` lines a second, in batches every 10 ms (timers can't do 1 ms). */
export function atRate(lines: string[], perSecond: number): Step[] {
  const perBatch = Math.max(1, Math.round(perSecond / 100));
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i += perBatch) {
    if (i > 0) steps.push({ delayMs: (perBatch / perSecond) * 1000 });
    steps.push(lines.slice(i, i + perBatch).join(''));
  }
  return steps;
}

export class FakeOllama extends LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  readonly closed: ClosedConnection[] = [];
  models: FakeModel[] = [{ name: 'test-model:latest', parameter_size: '1B', quantization_level: 'Q4_K_M' }];
  /** What /api/show says a model can do; models not in the map can do completion and tools. */
  readonly capabilities = new Map<string, string[]>();
  /** /api/show's `model_info` per model (e.g. `general.architecture` and `<arch>.context_length`); empty when absent. */
  readonly modelInfo = new Map<string, Record<string, unknown>>();
  /** Decides how each /api/chat request is answered. */
  onChat: (body: any, index: number) => ChatScript = (body) => ({ steps: answerLines(body.model, ['Hello', ', ', 'world', '!']) });
  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/api/chat');
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0];
    this.requests.push({ path, body, at: performance.now() });
    let complete = false;
    res.on('close', () => {
      if (!complete) {
        this.closed.push({ path, at: performance.now(), headersSent: res.headersSent });
        this.notify();
      }
    });
    this.notify();

    if (req.method === 'GET' && path === '/api/tags') {
      complete = true;
      return this.json(res, 200, {
        models: this.models.map((m) => ({
          name: m.name,
          model: m.name,
          modified_at: CREATED,
          size: 1_000_000,
          digest: 'sha256:0',
          details: {
            parent_model: '',
            format: 'gguf',
            family: 'test',
            families: ['test'],
            parameter_size: m.parameter_size ?? '',
            quantization_level: m.quantization_level ?? '',
          },
        })),
      });
    }
    if (req.method === 'GET' && (path === '/' || path === '/api/version')) {
      complete = true;
      return path === '/' ? void res.end('Ollama is running') : this.json(res, 200, { version: '0.12.0' });
    }
    if (req.method === 'POST' && path === '/api/show') {
      complete = true;
      const model = String(body?.model ?? '');
      return this.json(res, 200, {
        modelfile: '',
        parameters: '',
        template: '',
        details: { family: 'test', parameter_size: '1B', quantization_level: 'Q4_K_M' },
        model_info: this.modelInfo.get(model) ?? {},
        capabilities: this.capabilities.get(model) ?? ['completion', 'tools'],
      });
    }
    if (req.method !== 'POST' || path !== '/api/chat') {
      complete = true;
      return this.json(res, 404, { error: '404 page not found' });
    }

    const script = this.onChat(body, this.chatRequests.length - 1);
    const gone = () => res.destroyed || res.writableEnded;
    if (script.holdHeadersMs) await sleep(script.holdHeadersMs, () => gone());
    if (gone()) return;
    if (script.status && script.status !== 200) {
      complete = true;
      return this.json(res, script.status, { error: script.error ?? 'error' });
    }
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    res.flushHeaders();
    for (const step of script.steps ?? []) {
      if (gone()) return;
      if (typeof step === 'string' || step instanceof Uint8Array) res.write(step);
      else await sleep(step.delayMs, gone);
    }
    if (script.hang || gone()) return;
    complete = true;
    res.end();
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
}

/** Sleeps, waking early (every 10 ms check) once `cancelled` says the client went away. */
function sleep(ms: number, cancelled: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const end = performance.now() + ms;
    const tick = () => {
      const left = end - performance.now();
      if (left <= 0 || cancelled()) resolve();
      else setTimeout(tick, Math.min(left, 10));
    };
    tick();
  });
}
