import { Ollama } from 'ollama';
import { boundedFetch, limitErrorOf, type ResponseLimits } from '../../wire/boundedFetch';
import type { ProviderError, StreamEvent } from '../events';
import { guardedFetch, protocolErrorOf } from '../../wire/lineGuard';
import { toOllamaMessages, toOllamaTools } from './ollamaMessages';
import { ProviderFailure, type ChatProvider, type ChatRequest, type ContextWindow, type ModelInfo } from '../provider';
import { ollamaLoadedContext, ollamaMaxContext } from '../contextWindow';
import { chooseNumCtx } from './numCtx';
import { race } from '../../../shared/abort';
import { errorCode } from '../../../shared/errors';

export interface OllamaOptions {
  /** The user's modelChat.ollama.numCtx: the most a request asks for (see numCtx.ts). */
  numCtx?: number;
  /** How long the server keeps the model loaded after a request, e.g. "10m" or "-1" (Ollama's own default when unset). */
  keepAlive?: string;
  /** Caps on every response but the chat stream (model list, /api/show); defaults from boundedFetch.ts. */
  limits?: ResponseLimits;
}

/** What /api/show says about a model that matters here. */
interface ModelFacts {
  /** `undefined` when the server does not say (older servers): then we try, and report its error. */
  capabilities?: string[];
  /** The model's maximum context. */
  maxContext?: number;
}

/** /api/show per server and model: providers are made per turn, this outlives them. */
const showCache = new Map<string, Promise<ModelFacts>>();

/** Thrown by ollama-js when the body ends without a `done: true` line. */
const NO_DONE_MESSAGE = 'Did not receive done or success response in stream.';

export class OllamaProvider implements ChatProvider {
  constructor(
    readonly url: string,
    /** Sent on every request: Ollama's default context is small (4096 on many builds) and silently cuts the prompt. */
    private readonly options: OllamaOptions = {},
    /** The network (warmUp.ts streams a reply made up in memory through the same path). */
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /**
   * A client whose every fetch also listens to `signal`. ollama-js only creates its own AbortController
   * once headers arrive; merging ours in is what lets Stop close the socket while a cold model is still
   * loading (the `await chat()` has not resolved yet, so there is no iterator to abort).
   *
   * The chat stream's body also goes through the line guard: ollama-js drops a line that is not JSON with
   * a console.warn, so without it a proxy's error page or a spliced body would vanish from the answer.
   * Every other response (the model list, /api/show) is read whole by ollama-js: it is capped in size and time.
   */
  private client(signal?: AbortSignal): Ollama {
    const merged: typeof fetch = (input, init) =>
      this.fetchImpl(input, {
        ...init,
        signal: signal && init?.signal ? AbortSignal.any([init.signal, signal]) : (init?.signal ?? signal),
      });
    const isChat = (path: string) => path.endsWith('/api/chat');
    const bounded = boundedFetch(merged, this.options.limits ?? {}, (path) => !isChat(path));
    const guarded = guardedFetch(bounded, { format: 'ndjson', url: this.url }, isChat);
    return new Ollama({ host: this.url, fetch: guarded });
  }

  private facts(model: string, signal?: AbortSignal): Promise<ModelFacts> {
    const key = `${this.url}\u0000${model}`;
    let known = showCache.get(key);
    if (!known) {
      known = this.client(signal)
        .show({ model })
        .then((info) => ({ capabilities: (info as { capabilities?: string[] }).capabilities, maxContext: ollamaMaxContext(info) }))
        .catch(() => {
          showCache.delete(key); // a failed look-up (server down, model missing) is asked again next time
          return {};
        });
      showCache.set(key, known);
    }
    // The cached look-up may belong to another turn's request: this turn's Stop must not wait for it.
    return race(known, signal);
  }

  private async capabilities(model: string, signal?: AbortSignal): Promise<string[] | undefined> {
    return (await this.facts(model, signal)).capabilities;
  }

  /** The model's maximum (/api/show) and, when it is running, the context it was loaded with (/api/ps). */
  async contextWindow(model: string, signal?: AbortSignal): Promise<ContextWindow | undefined> {
    try {
      const [facts, ps] = await Promise.all([
        this.facts(model, signal),
        this.client(signal)
          .ps()
          .catch(() => undefined),
      ]);
      const loaded = ollamaLoadedContext(ps, model);
      if (!facts.maxContext && !loaded) return undefined;
      return { ...(loaded ? { loaded } : {}), ...(facts.maxContext ? { max: facts.maxContext } : {}), source: 'Ollama /api/show, /api/ps' };
    } catch {
      return undefined;
    }
  }

  /** A model without "tools" answers 400 when sent tools. */
  async supportsTools(model: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.capabilities(model, signal))?.includes('tools') ?? true;
  }

  /** Servers before capabilities were listed (Ollama < 0.6.4) cannot say. */
  async supportsVision(model: string, signal?: AbortSignal): Promise<boolean | undefined> {
    return (await this.capabilities(model, signal))?.includes('vision');
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    try {
      const { models } = await this.client(signal).list();
      return models.map((m) => ({
        name: m.name,
        detail: [m.details?.parameter_size, m.details?.quantization_level].filter(Boolean).join(' · ') || undefined,
      }));
    } catch (err) {
      throw new ProviderFailure(this.describe(err));
    }
  }

  async *chat(request: ChatRequest, signal: AbortSignal): AsyncGenerator<StreamEvent> {
    let sawToolCall = false;
    try {
      const tools = toOllamaTools(request.tools);
      const { keepAlive } = this.options;
      // Reasoning models only send their thinking separately (message.thinking) when asked to; without
      // `think` some put it in the answer between <think> tags. Models without the capability refuse it.
      const facts = await this.facts(request.model, signal);
      const think = facts.capabilities?.includes('thinking') ?? false;
      const numCtx = this.numCtxFor(request, facts);
      const stream = await this.client(signal).chat({
        model: request.model,
        messages: toOllamaMessages(request.messages),
        stream: true,
        ...(tools ? { tools } : {}),
        ...(numCtx ? { options: { num_ctx: numCtx } } : {}),
        ...(keepAlive ? { keep_alive: keepAlive } : {}),
        ...(think ? { think: true } : {}),
      });
      for await (const part of stream) {
        const { message } = part;
        if (message?.thinking) yield { type: 'thinking', text: message.thinking };
        if (message?.content) yield { type: 'text', text: message.content };
        for (const call of message?.tool_calls ?? []) {
          sawToolCall = true;
          yield { type: 'toolCall', call: { name: call.function.name, arguments: call.function.arguments } };
        }
        if (part.done) {
          yield {
            type: 'usage',
            usage: {
              promptTokens: part.prompt_eval_count,
              completionTokens: part.eval_count,
              loadDurationNs: part.load_duration,
              evalDurationNs: part.eval_duration,
              promptEvaluatedOnly: true,
              ...(numCtx ? { contextTokens: numCtx } : {}),
            },
          };
          // Ollama keeps done_reason "stop" even when it asked for tools: decide by what arrived.
          yield { type: 'done', reason: sawToolCall ? 'toolCalls' : part.done_reason === 'length' ? 'length' : 'stop' };
          return;
        }
      }
      yield { type: 'error', error: this.describe(new Error(NO_DONE_MESSAGE), request.model) };
    } catch (err) {
      if (signal.aborted) {
        yield { type: 'done', reason: 'aborted' };
        return;
      }
      yield { type: 'error', error: this.describe(err, request.model) };
    }
  }

  /** Without a setting nothing is sent (the server's own default applies). */
  private numCtxFor(request: ChatRequest, facts: ModelFacts): number | undefined {
    const setting = this.options.numCtx;
    if (!setting) return undefined;
    return chooseNumCtx({ estimate: request.estimatedPromptTokens, setting, max: facts.maxContext, loaded: request.loadedContext });
  }

  /** Turns whatever ollama-js or fetch threw into a message a user can act on. */
  describe(err: unknown, model?: string): ProviderError {
    const limit = limitErrorOf(err);
    if (limit) {
      return {
        kind: limit.kind === 'timeout' ? 'server' : 'protocol',
        url: this.url,
        detail: limit.message,
        message: `Ollama at ${this.url} did not answer usably: ${limit.message}. Check that the URL in the modelChat.endpoints setting points at Ollama itself.`,
      };
    }
    const garbage = protocolErrorOf(err);
    if (garbage) {
      return {
        kind: 'protocol',
        url: this.url,
        detail: garbage.message,
        message: `The server at ${this.url} sent something that is not Ollama's chat stream (${garbage.summary}), so the answer stops here. Check that the URL in the modelChat.endpoints setting points at Ollama itself, not at a proxy or another kind of server.`,
      };
    }
    const e = err as { name?: string; message?: string; status_code?: number };
    const detail = String(e?.message ?? err);
    const code = errorCode(err);
    if (
      e?.name === 'TypeError' &&
      (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET' || detail === 'fetch failed')
    ) {
      return {
        kind: 'unreachable',
        url: this.url,
        detail: `${detail}${code ? ` (${code})` : ''}`,
        message: `Ollama is not running at ${this.url}. Start it with \`ollama serve\` (or open the Ollama app), or change the URL in the modelChat.endpoints setting.`,
      };
    }
    if (e?.name === 'ResponseError') {
      if (e.status_code === 404 && /not found/i.test(detail) && model) {
        return {
          kind: 'modelNotFound',
          model,
          detail,
          message: `The model '${model}' is not installed on ${this.url}. Download it with \`ollama pull ${model}\`, or pick another model.`,
        };
      }
      return { kind: 'server', detail, message: `Ollama at ${this.url} answered HTTP ${e.status_code}: ${detail}` };
    }
    if (detail === NO_DONE_MESSAGE || detail === 'terminated' || code === 'UND_ERR_SOCKET') {
      return { kind: 'dropped', detail, message: `The connection to ${this.url} ended before the answer was complete.` };
    }
    // ollama-js rethrows an {"error": "…"} stream line as a plain Error with that text.
    return { kind: 'server', detail, message: `Ollama reported an error: ${detail}` };
  }
}
