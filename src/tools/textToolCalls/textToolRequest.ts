/**
 * A turn's request with its tools either native (the `tools` field) or written into the prompt, and how a
 * server that refuses the `tools` field is recognised, so the next request describes them in the prompt.
 */
import type { ProviderError } from '../../streaming/providers/events';
import type { ChatMessage, ChatRequest } from '../../streaming/providers/provider';
import type { ToolOffer } from '../toolSupport';
import { textToolHistory, withToolsPrompt } from './toolsPrompt';

/**
 * The request for one round. With `asText`, the tools are described after the system prompt and calls and
 * results in history are written as text, so the prefix stays the same bytes from turn to turn.
 */
export function toolRequest(model: string, messages: ChatMessage[], offer: ToolOffer): ChatRequest {
  const { tools, asText } = offer;
  if (!tools.length) return { model, messages };
  if (!asText) return { model, messages, tools };
  const [first, ...rest] = messages;
  const system = first?.role === 'system' ? first.content : undefined;
  const body = textToolHistory(first?.role === 'system' ? rest : messages);
  return { model, messages: [{ role: 'system', content: withToolsPrompt(system, tools) }, ...body] };
}

/**
 * Whether the server refused the request because of its tools: vLLM without a tool parser ("auto" tool
 * choice requires --enable-auto-tool-choice …), llama-server without --jinja ("tools param requires --jinja
 * flag"), Ollama ("… does not support tools"). All say "tool" in an HTTP 400, 422 or 500.
 */
export function rejectsTools(error: ProviderError): boolean {
  if (error.kind !== 'server') return false;
  const text = `${error.detail ?? ''} ${error.message}`;
  return /\b(400|422|500)\b/.test(text) && /tool/i.test(text);
}

/** Endpoints and models that refused native tools, so later turns go straight to tools in the prompt. */
const refused = new Set<string>();

export function rememberRefusedTools(url: string, model: string): void {
  refused.add(`${url}\u0000${model}`);
}

export function refusedTools(url: string, model: string): boolean {
  return refused.has(`${url}\u0000${model}`);
}
