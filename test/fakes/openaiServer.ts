/**
 * A local server that speaks the OpenAI-compatible HTTP API byte for byte: chat completions as SSE
 * (`data: {json}\n\n` … `data: [DONE]\n\n`) on POST /v1/chat/completions, JSON on GET /v1/models, and errors
 * in OpenAI's `{"error": {message, type, param, code}}` shape. Scripted per request, recording what it
 * received (the Authorization header included) and when a client closed the connection early.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer, readBody } from './loopbackServer';
import type { Step } from './ollamaServer';

// The byte-level step helpers are wire-format neutral: share them rather than copy them.
export { paced, splitWrites, type Step } from './ollamaServer';

export interface ChatScript {
  /** Hold back the response headers this long (a model loading, a queue), or until the client gives up. */
  holdHeadersMs?: number;
  /** A non-200 answer, written as OpenAI does: `{"error": {"message": error, "type", "param": null, "code"}}`. */
  status?: number;
  error?: string;
  errorType?: string;
  errorCode?: string | null;
  /** The error body exactly as given, instead of OpenAI's shape (Gemini answers with a JSON array). */
  errorBody?: string;
  /** Extra response headers, e.g. `{ 'retry-after': '20' }` on a 429. */
  headers?: Record<string, string>;
  /** Raw body writes, in order; a string may hold part of an SSE event or several events. */
  steps?: Step[];
  /** Leave the response open after the steps (a server that stalls). */
  hang?: boolean;
  /** Cut the connection after the steps, without ending the response (a crash, a proxy timing out). */
  destroy?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: any;
  /** The Authorization header as received, if any. */
  authorization?: string;
  headers: IncomingHttpHeaders;
  at: number;
}

export interface ClosedConnection {
  path: string;
  /** performance.now() when the server saw the client close before the response was complete. */
  at: number;
  headersSent: boolean;
}

const CREATED = 1_795_000_000;
const ID = 'chatcmpl-fake0001';

/** One SSE event as OpenAI writes it. */
export function sse(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

export const DONE = 'data: [DONE]\n\n';

/** A `chat.completion.chunk` event with one choice carrying `delta`. */
export function chunkLine(model: string, delta: Record<string, unknown>, finishReason: string | null = null): string {
  return sse({
    id: ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
}

/** The first event of every answer: the role, with empty content. */
export function roleLine(model: string): string {
  return chunkLine(model, { role: 'assistant', content: '' });
}

export function textLine(model: string, text: string): string {
  return chunkLine(model, { content: text });
}

/** Reasoning text under the field a server uses: `reasoning` (vLLM ≥ 0.10, OpenRouter, Ollama) or `reasoning_content` (DeepSeek, llama.cpp, LM Studio). */
export function reasoningLine(model: string, text: string, field: 'reasoning' | 'reasoning_content' = 'reasoning_content'): string {
  return chunkLine(model, { content: null, [field]: text });
}

export interface ToolCallFragment {
  index?: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

/** One delta holding tool-call fragments, exactly as given (so a test can omit `index` or `type`). */
export function toolCallLine(model: string, fragments: ToolCallFragment[]): string {
  return chunkLine(model, { tool_calls: fragments });
}

/** The empty delta that carries `finish_reason`. */
export function finishLine(model: string, reason: 'stop' | 'length' | 'tool_calls' | 'content_filter' = 'stop'): string {
  return chunkLine(model, {}, reason);
}

/** The last event when `stream_options.include_usage` is set: no choices, only usage. */
export function usageLine(model: string, promptTokens: number, completionTokens: number): string {
  return sse({
    id: ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    system_fingerprint: 'fp_fake',
    choices: [],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  });
}

/** The events of a whole answer made of these tokens: role, tokens, finish, usage, [DONE]. */
export function answerLines(
  model: string,
  tokens: string[],
  opts: { reasoning?: string[]; reasoningField?: 'reasoning' | 'reasoning_content'; finish?: 'stop' | 'length'; usage?: boolean } = {},
): string[] {
  return [
    roleLine(model),
    ...(opts.reasoning ?? []).map((t) => reasoningLine(model, t, opts.reasoningField)),
    ...tokens.map((t) => textLine(model, t)),
    finishLine(model, opts.finish ?? 'stop'),
    ...(opts.usage === false ? [] : [usageLine(model, 26, tokens.length)]),
    DONE,
  ];
}

export class FakeOpenAI extends LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  readonly closed: ClosedConnection[] = [];
  models: string[] = ['test-model'];
  /** How GET /v1/models answers when not a plain list (e.g. `{ status: 401, error: … }`). */
  onModels: () => ChatScript | undefined = () => undefined;
  /** Decides how each POST /v1/chat/completions request is answered. */
  onChat: (body: any, index: number) => ChatScript = (body) => ({ steps: answerLines(body.model, ['Hello', ', ', 'world', '!']) });
  /** The base URL a client is configured with includes `/v1`. */
  protected override readonly urlPath = '/v1';

  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/v1/chat/completions');
  }

  reset(): void {
    this.requests.length = 0;
    this.closed.length = 0;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0];
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      body,
      authorization: req.headers.authorization,
      headers: req.headers,
      at: performance.now(),
    });
    let complete = false;
    res.on('close', () => {
      if (!complete) {
        this.closed.push({ path, at: performance.now(), headersSent: res.headersSent });
        this.notify();
      }
    });
    this.notify();

    if (req.method === 'GET' && path === '/v1/models') {
      complete = true;
      const script = this.onModels();
      if (script?.status && script.status !== 200) return this.error(res, script);
      return this.json(res, 200, {
        object: 'list',
        data: this.models.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'organization-owner' })),
      });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      complete = true;
      // What llama.cpp, vLLM and friends answer for a path they do not serve (e.g. a base URL without /v1).
      return this.json(res, 404, {
        error: { message: `Unknown request URL: ${req.method} ${path}.`, type: 'invalid_request_error', param: null, code: 'unknown_url' },
      });
    }

    const script = this.onChat(body, this.chatRequests.length - 1);
    const gone = () => res.destroyed || res.writableEnded;
    if (script.holdHeadersMs) await sleep(script.holdHeadersMs, gone);
    if (gone()) return;
    if (script.status && script.status !== 200) {
      complete = true;
      return this.error(res, script);
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      ...script.headers,
    });
    res.flushHeaders();
    for (const step of script.steps ?? []) {
      if (gone()) return;
      if (typeof step === 'string' || step instanceof Uint8Array) res.write(step);
      else await sleep(step.delayMs, gone);
    }
    if (script.hang || gone()) return;
    if (script.destroy) return void res.socket?.destroy();
    complete = true;
    res.end();
  }

  private error(res: ServerResponse, script: ChatScript): void {
    const text =
      script.errorBody ??
      JSON.stringify({
        error: {
          message: script.error ?? 'error',
          type: script.errorType ?? 'invalid_request_error',
          param: null,
          code: script.errorCode ?? null,
        },
      });
    res.writeHead(script.status ?? 500, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      ...script.headers,
    });
    res.end(text);
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
