import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { boundedFetch, limitErrorOf, type ResponseLimits } from '../../wire/boundedFetch';
import type { ProviderError, StreamEvent, UsageStats } from '../events';
import { guardedFetch, protocolErrorOf } from '../../wire/lineGuard';
import { toOpenAIMessages, toOpenAITools } from './openaiMessages';
import { ToolCallAccumulator, type ToolCallFragment } from './openaiToolCalls';
import { ProviderFailure, type ChatProvider, type ChatRequest, type ContextWindow, type ModelInfo } from '../provider';
import { llamaCppTokenCount, openaiCompatibleContext } from '../contextWindow';
import { describeError, errorCode } from '../../../shared/errors';
import type { AnswerSource } from '../../../shared/protocol';

export interface OpenAIProviderOptions {
  /** Replaces the global fetch under the SDK (tests, proxies). */
  fetch?: typeof fetch;
  /** Caps on every response but the chat stream (the model list); defaults from boundedFetch.ts. */
  limits?: ResponseLimits;
}

/** What compatible servers add to a delta beyond the SDK's types. */
type Delta = ChatCompletionChunk.Choice.Delta & { reasoning?: string | null; reasoning_content?: string | null };

/** What Perplexity adds to every chunk: the pages the text cites as [1], [2], … */
type SourcedChunk = ChatCompletionChunk & { citations?: unknown; search_results?: unknown };

/**
 * OpenAI's reasoning models (o1, o3, o4-mini, gpt-5, …) take the instructions as a `developer` message; the
 * first of them refuse `system` outright. Matched on OpenAI's own bare names only: routers (OpenRouter's
 * `openai/o3`) translate roles themselves, and other servers' models are not named like this.
 */
const DEVELOPER_ROLE_MODEL = /^(o\d|gpt-5)/i;

const isChat = (path: string) => path.endsWith('/chat/completions');

/** The command users run to store a key; named in every auth error. */
const SET_KEY_COMMAND = '"Model Chat: Set API key"';

/**
 * Any OpenAI-compatible server (OpenAI, OpenRouter, LM Studio, vLLM, llama.cpp server, Ollama's /v1) over
 * chat completions, the one path they all serve. `url` is the base URL, `/v1` included.
 */
export class OpenAIProvider implements ChatProvider {
  private readonly client: OpenAI;

  constructor(
    readonly url: string,
    private readonly apiKey?: string,
    opts: OpenAIProviderOptions = {},
  ) {
    this.client = new OpenAI({
      baseURL: url,
      // The SDK refuses to start without a key, and local servers need none: give it a placeholder and
      // drop the header it would make from it (a null header is the SDK's documented way to omit one).
      apiKey: apiKey || 'no-key',
      defaultHeaders: apiKey ? undefined : { Authorization: null },
      // Explicit nulls, so OPENAI_ORG_ID / OPENAI_PROJECT_ID / OPENAI_ADMIN_KEY from the editor's environment
      // are never sent to a third-party endpoint.
      organization: null,
      project: null,
      adminAPIKey: null,
      // Retrying is the caller's decision (see retry.ts): it knows whether a token was already shown.
      maxRetries: 0,
      // Failures come back as events with their own messages; the SDK's console output would only duplicate them.
      logLevel: 'off',
      // The SDK skips SSE lines that are not a field it knows; the guard turns them into an error instead, so
      // an HTML page or plain text spliced into the stream is reported rather than silently lost. Every
      // other response (the model list) is read whole by the SDK: it is capped in size and time.
      fetch: guardedFetch(
        boundedFetch(opts.fetch ?? ((input, init) => fetch(input, init)), opts.limits ?? {}, (path) => !isChat(path)),
        { format: 'sse', url },
        isChat,
      ),
    });
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    try {
      // One page only: compatible servers return everything at once, and some echo cursors that never end.
      const page = await this.client.models.list({ signal });
      return page.data.map((m) => ({ name: m.id }));
    } catch (err) {
      throw new ProviderFailure(this.describe(err));
    }
  }

  /** What the server says it runs the model with (llama.cpp, LM Studio, vLLM, OpenRouter; see contextWindow.ts). */
  contextWindow(model: string, signal?: AbortSignal): Promise<ContextWindow | undefined> {
    return openaiCompatibleContext(this.url, model, signal, this.authHeaders());
  }

  /** llama.cpp's own tokenizer; other servers have no such endpoint (404: undefined). */
  countTokens(text: string, signal?: AbortSignal): Promise<number | undefined> {
    return llamaCppTokenCount(this.url, text, signal, this.authHeaders());
  }

  private authHeaders(): Record<string, string> | undefined {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : undefined;
  }

  async *chat(request: ChatRequest, signal: AbortSignal): AsyncGenerator<StreamEvent> {
    const toolCalls = new ToolCallAccumulator();
    let finishReason: string | null = null;
    let usage: UsageStats | undefined;
    let streamedThinking = false;
    let sourcesKey = '';
    let cacheN: number | undefined;
    try {
      // No token limit is sent (the server's own applies), so the max_tokens / max_completion_tokens split of
      // OpenAI's reasoning models does not arise; a cut answer still says so (finish_reason "length").
      const params: ChatCompletionCreateParamsStreaming = {
        model: request.model,
        messages: withDeveloperRole(request.model, toOpenAIMessages(request.messages)),
        stream: true,
        // Usage comes only when asked for, as a last chunk with `choices: []`.
        stream_options: { include_usage: true },
      };
      const tools = toOpenAITools(request.tools);
      if (tools) params.tools = tools;
      // The SDK hands `signal` to fetch, so an abort before the headers closes the socket as well.
      const stream = await this.client.chat.completions.create(params, { signal });
      for await (const chunk of stream) {
        // `data: null`, `data: 42`: valid JSON, but not a chunk (and `null.usage` would throw a TypeError).
        if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) {
          yield {
            type: 'error',
            error: this.describe(
              new SyntaxError(`a data: event holds ${String(JSON.stringify(chunk)).slice(0, 80)}, not a chat.completion.chunk object`),
            ),
          };
          return;
        }
        // The usage chunk has `choices: []`; some servers put usage on every chunk: the last one wins.
        if (chunk.usage) {
          usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
          const reasoning = chunk.usage.completion_tokens_details?.reasoning_tokens;
          if (reasoning) usage.reasoningTokens = reasoning;
          const cached = chunk.usage.prompt_tokens_details?.cached_tokens ?? cacheN;
          if (cached) usage.cachedPromptTokens = cached;
        }
        // llama.cpp's timings (on the finish chunk, before usage): cache_n prompt tokens came from its KV cache.
        const timings = (chunk as { timings?: { cache_n?: unknown } }).timings;
        if (typeof timings?.cache_n === 'number') {
          cacheN = timings.cache_n;
          if (usage && cacheN) usage.cachedPromptTokens ??= cacheN;
        }
        // Perplexity repeats its sources on every chunk: pass them on when they change.
        const sources = sourcesOf(chunk as SourcedChunk);
        if (sources.length && JSON.stringify(sources) !== sourcesKey) {
          sourcesKey = JSON.stringify(sources);
          yield { type: 'sources', sources };
        }
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const delta = (choice.delta ?? {}) as Delta;
        const thinking = delta.reasoning ?? delta.reasoning_content;
        if (thinking) {
          streamedThinking = true;
          yield { type: 'thinking', text: thinking };
        }
        if (delta.content) yield { type: 'text', text: delta.content };
        if (delta.tool_calls?.length) toolCalls.add(delta.tool_calls as ToolCallFragment[]);
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      // Aborting mid-stream makes the SDK's loop end quietly, as if the answer were complete.
      if (signal.aborted) {
        yield { type: 'done', reason: 'aborted' };
        return;
      }
      // The SDK also ends quietly when the body ends cleanly without [DONE]; every compatible server sends a
      // finish_reason (or at least usage) before that, so their absence means the answer was cut short.
      if (!finishReason && !usage) {
        yield { type: 'error', error: this.dropped('the stream ended without a finish_reason') };
        return;
      }
      const calls = toolCalls.finish();
      for (const call of calls) yield { type: 'toolCall', call };
      // OpenAI's reasoning models count reasoning they never send: those tokens were not streamed.
      if (usage?.reasoningTokens && !streamedThinking) usage.hiddenReasoning = true;
      if (usage) yield { type: 'usage', usage };
      // Decide by what arrived as well: some servers say "stop" after sending tool calls.
      const reason =
        calls.length > 0 || finishReason === 'tool_calls' || finishReason === 'function_call'
          ? 'toolCalls'
          : finishReason === 'length'
            ? 'length'
            : 'stop';
      yield { type: 'done', reason };
    } catch (err) {
      if (signal.aborted) {
        yield { type: 'done', reason: 'aborted' };
        return;
      }
      yield { type: 'error', error: this.describe(err, request.model) };
    }
  }

  /** Turns whatever the SDK or fetch threw into a message a user can act on, with the API key scrubbed out. */
  describe(err: unknown, model?: string): ProviderError {
    const error = this.describeRaw(err, model);
    return { ...error, message: this.redact(error.message), detail: error.detail && this.redact(error.detail) };
  }

  private describeRaw(err: unknown, model?: string): ProviderError {
    const url = this.url;
    const limit = limitErrorOf(err);
    if (limit) {
      return {
        kind: limit.kind === 'timeout' ? 'server' : 'protocol',
        url,
        detail: limit.message,
        message: `The server at ${url} did not answer usably: ${limit.message}. Check that the URL in the modelChat.endpoints setting points at the API itself (it usually ends in /v1).`,
      };
    }
    const garbage = protocolErrorOf(err);
    if (garbage) {
      return {
        kind: 'protocol',
        url,
        detail: garbage.message,
        message: `The server at ${url} sent something that is not an OpenAI-compatible event stream (${garbage.summary}), so the answer stops here. Check that the URL in the modelChat.endpoints setting points at the API itself (it usually ends in /v1), not at a web page or a proxy.`,
      };
    }
    if (err instanceof APIConnectionTimeoutError) {
      return {
        kind: 'server',
        url,
        detail: describeError(err),
        message: `The server at ${url} did not start answering in time. It may be overloaded or still loading the model; try again.`,
      };
    }
    if (err instanceof APIConnectionError) {
      const code = errorCode(err);
      return {
        kind: 'unreachable',
        url,
        detail: describeError(err),
        message:
          code === 'ENOTFOUND'
            ? `No OpenAI-compatible server answers at ${url}: the host name does not resolve. Check the URL in the modelChat.endpoints setting.`
            : `No OpenAI-compatible server answers at ${url}. Start the server (LM Studio, vLLM, llama.cpp's llama-server, …), or change the URL in the modelChat.endpoints setting.`,
      };
    }
    if (err instanceof APIError) {
      const serverText = apiErrorText(err);
      const detail = `${err.status ?? 'stream'} ${serverText}${err.code ? ` (code ${err.code})` : ''}`;
      if (err.status === undefined) {
        // An `{"error": …}` event in the middle of the stream.
        return { kind: 'server', url, detail, message: `The server at ${url} reported an error: ${serverText}` };
      }
      if (err.status === 401 || err.status === 403) {
        // The server's own text is left out of the message: OpenAI's echoes part of the key.
        const what =
          err.status === 401 ? (this.apiKey ? 'did not accept the API key' : 'needs an API key') : 'refused access with this API key';
        return {
          kind: 'auth',
          url,
          detail,
          message: `The server at ${url} ${what} (HTTP ${err.status}). Run ${SET_KEY_COMMAND} to store the right key for this endpoint.`,
        };
      }
      // llama-server's router mode refuses an unknown model with 400 "model 'x' not found", not 404.
      const unknownModel = err.status === 400 && /model '[^']*' not found/i.test(serverText);
      if (err.status === 404 || unknownModel) {
        if (model && (unknownModel || err.code === 'model_not_found' || /model/i.test(serverText))) {
          return {
            kind: 'modelNotFound',
            url,
            model,
            detail,
            message: `The model '${model}' is not available at ${url}. Pick another one with "Model Chat: Select model".`,
          };
        }
        return {
          kind: 'server',
          url,
          detail,
          message: `The server at ${url} has no such API path (HTTP 404). Check the URL in the modelChat.endpoints setting: it usually ends in /v1.`,
        };
      }
      if (err.status === 429) {
        const wait = retryAfterSeconds(err.headers);
        return {
          kind: 'server',
          url,
          detail,
          message:
            `The server at ${url} is rate-limiting requests (HTTP 429)${wait !== undefined ? `; try again in ${wait} s` : '; wait a moment and try again'}. ${serverText}`.trim(),
        };
      }
      return { kind: 'server', url, detail, message: `The server at ${url} answered HTTP ${err.status}: ${serverText}` };
    }
    const e = err as { name?: string; message?: string };
    const detail = describeError(err);
    if (e?.name === 'SyntaxError') {
      return { kind: 'protocol', url, detail, message: `The server at ${url} sent something that is not an OpenAI-compatible stream.` };
    }
    // undici's "terminated" (UND_ERR_SOCKET, ECONNRESET) when the connection breaks mid-body.
    if (e?.message === 'terminated' || /UND_ERR_SOCKET|ECONNRESET|other side closed/.test(detail)) return this.dropped(detail);
    return { kind: 'server', url, detail, message: `The request to ${url} failed: ${e?.message ?? String(err)}` };
  }

  private dropped(detail: string): ProviderError {
    return { kind: 'dropped', url: this.url, detail, message: `The connection to ${this.url} ended before the answer was complete.` };
  }

  /** Removes the key, and anything shaped like a key (servers echo masked keys back), from text meant for people or logs. */
  private redact(text: string): string {
    let out = text;
    if (this.apiKey) out = out.split(this.apiKey).join('[API key]');
    return out.replace(/\b(sk|rk)-[A-Za-z0-9_*.-]{6,}/g, '$1-…');
  }
}

/** The server's own words: `error.message` in OpenAI's shape, else what the SDK made of the body. */
function apiErrorText(err: APIError): string {
  // Gemini's compatibility endpoint wraps its error in a one-element array: `[{"error": {…}}]`.
  const raw = err.error as unknown;
  const first = Array.isArray(raw) ? (raw[0] as { error?: unknown } | undefined) : undefined;
  const body = (first && typeof first === 'object' && first.error ? first.error : raw) as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string') return body.message;
  return err.message.replace(/^\d{3}\s+/, '');
}

/** `retry-after-ms` or `retry-after` (seconds or an HTTP date), as whole seconds. */
function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (ms > 0) return Math.ceil(ms / 1000);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function withDeveloperRole(model: string, messages: ChatCompletionMessageParam[]): ChatCompletionMessageParam[] {
  if (!DEVELOPER_ROLE_MODEL.test(model)) return messages;
  return messages.map((m) => (m.role === 'system' ? { ...m, role: 'developer' } : m));
}

/**
 * Perplexity's sources in citation order: `citations` holds the URLs the text numbers, `search_results` the
 * same pages with titles. Either may come alone; anything that is not an http(s) URL is left out.
 */
export function sourcesOf(chunk: { citations?: unknown; search_results?: unknown }): AnswerSource[] {
  const titled = new Map<string, string | undefined>();
  const results = Array.isArray(chunk.search_results) ? chunk.search_results : [];
  for (const r of results as Array<{ url?: unknown; title?: unknown }>) {
    if (r && typeof r.url === 'string') titled.set(r.url, typeof r.title === 'string' && r.title.trim() ? r.title.trim() : undefined);
  }
  const urls = Array.isArray(chunk.citations) ? chunk.citations.filter((u): u is string => typeof u === 'string') : [...titled.keys()];
  return urls
    .filter((url) => /^https?:\/\//i.test(url))
    .map((url) => {
      const title = titled.get(url);
      return title ? { url, title } : { url };
    });
}
