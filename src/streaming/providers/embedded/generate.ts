import type { LlamaChat, LlamaChatResponseChunk } from 'node-llama-cpp';
import type { ProviderError, StreamEvent } from '../events';
import type { ChatRequest } from '../provider';
import { EngineModelError, type LoadedModel } from './embeddedEngine';
import type { GenerationOptions } from './engineProtocol';
import { toChatHistory, toFunctions } from './embeddedMessages';
import { EngineUnavailable } from './llamaRuntime';

/** One answer from the loaded model, reported event by event; resolves with the closing events. */
export async function generate(
  loaded: LoadedModel,
  request: ChatRequest,
  options: GenerationOptions,
  signal: AbortSignal,
  emit: (event: StreamEvent) => void,
): Promise<StreamEvent[]> {
  const chat = options.forceFunctionCall ? await forcedCallChat(loaded, request) : loaded.chat;
  const meter = chat.sequence.tokenMeter;
  const before = { input: meter.usedInputTokens, output: meter.usedOutputTokens };
  let firstTokenAt = 0;
  let lastTokenAt = 0;
  const functions = toFunctions(request.tools);
  try {
    const result = await chat.generateResponse(toChatHistory(request.messages), {
      signal,
      stopOnAbortSignal: true,
      ...(options.maxTokens ? { maxTokens: options.maxTokens } : {}),
      ...(functions ? { functions } : {}),
      onResponseChunk: (chunk: LlamaChatResponseChunk) => {
        lastTokenAt = performance.now();
        firstTokenAt ||= lastTokenAt;
        if (!chunk.text) return;
        // Reasoning models' thoughts (<think>…</think> and the like) arrive as segments: shown as thinking.
        if (chunk.type === 'segment') {
          if (chunk.segmentType === 'thought') emit({ type: 'thinking', text: chunk.text });
        } else emit({ type: 'text', text: chunk.text });
      },
    });
    const end: StreamEvent[] = (result.functionCalls ?? []).map((call) => ({
      type: 'toolCall',
      call: { name: call.functionName, arguments: (call.params ?? {}) as Record<string, unknown> },
    }));
    end.push({
      type: 'usage',
      usage: {
        promptTokens: meter.usedInputTokens - before.input,
        completionTokens: meter.usedOutputTokens - before.output,
        evalDurationNs: Math.round((lastTokenAt - firstTokenAt) * 1e6),
      },
    });
    const stop = result.metadata.stopReason;
    const reason = signal.aborted || stop === 'abort' ? 'aborted' : end.length > 1 ? 'toolCalls' : stop === 'maxTokens' ? 'length' : 'stop';
    end.push({ type: 'done', reason });
    return end;
  } finally {
    if (chat !== loaded.chat) chat.dispose({ disposeSequence: false });
  }
}

/**
 * Tests only (GenerationOptions.forceFunctionCall). A random-weight model never writes a call prefix, so this
 * makes its own first word the prefix: a probe answer of one token (decoding is greedy, so the real answer starts
 * the same way) under a chat format that does not describe the functions (so the prompt does not depend on the
 * prefix). From the prefix on, node-llama-cpp's grammar writes a valid call, which is what the test checks.
 */
async function forcedCallChat(loaded: LoadedModel, request: ChatRequest): Promise<LlamaChat> {
  const { module } = loaded;
  const history = toChatHistory(request.messages);
  const withPrefix = (prefix: string) => {
    const base = new module.ChatMLChatWrapper();
    class ForcedCall extends module.ChatMLChatWrapper {
      override readonly settings = {
        ...base.settings,
        functions: { ...base.settings.functions, call: { ...base.settings.functions.call, prefix, prefixAlternateMatches: [] } },
      };
      override generateAvailableFunctionsSystemText() {
        return module.LlamaText([]);
      }
    }
    return new module.LlamaChat({ contextSequence: loaded.chat.sequence, chatWrapper: new ForcedCall() });
  };
  const probe = withPrefix('\u0001never\u0001');
  const first = await probe.generateResponse(history, { maxTokens: 1, functions: toFunctions(request.tools) });
  probe.dispose({ disposeSequence: false });
  return withPrefix(first.response.trim() || first.response);
}

export function describeFailure(err: unknown, model: string): ProviderError {
  const detail = String((err as Error)?.message ?? err);
  if (err instanceof EngineModelError)
    return { kind: err.kind === 'modelNotFound' ? 'modelNotFound' : 'server', model, detail, message: err.message };
  if (err instanceof EngineUnavailable) return { kind: 'unreachable', detail, message: err.message };
  return { kind: 'server', model, detail, message: `The built-in engine failed: ${detail.split('\n')[0]}` };
}
