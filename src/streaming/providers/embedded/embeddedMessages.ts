import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatModelResponse } from 'node-llama-cpp';
import type { ToolDescriptor } from '../../../tools/toolSupport';
import type { ChatMessage } from '../provider';

/**
 * Our messages as node-llama-cpp's chat history. It keeps a tool call and its result together in the model's
 * response (`functionCall` with `result`), where we have an assistant message and then `tool` messages: each
 * result is put on the first call of the same name (or id) that has none yet.
 */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  let pending: Array<ChatModelFunctionCall & { id?: string }> = [];
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'user') history.push({ type: m.role, text: m.content });
    else if (m.role === 'assistant') {
      const response: ChatModelResponse['response'] = m.content ? [m.content] : [];
      pending = (m.toolCalls ?? []).map((call) => ({
        type: 'functionCall' as const,
        name: call.name,
        params: typeof call.arguments === 'string' ? {} : call.arguments,
        result: undefined,
        ...(call.id ? { id: call.id } : {}),
      }));
      response.push(...pending);
      history.push({ type: 'model', response });
    } else if (m.role === 'tool') {
      const call =
        pending.find((c) => m.toolCallId && c.id === m.toolCallId && c.result === undefined) ??
        pending.find((c) => c.name === m.toolName && c.result === undefined);
      if (call) call.result = m.content;
      else history.push({ type: 'user', text: `Result of ${m.toolName}: ${m.content}` });
    }
  }
  // node-llama-cpp does not know our `id`: drop it so its chat wrappers see only their own fields.
  for (const item of history) {
    if (item.type !== 'model') continue;
    item.response = item.response.map((part) => {
      if (typeof part === 'string' || part.type !== 'functionCall') return part;
      const { id: _id, ...call } = part as ChatModelFunctionCall & { id?: string };
      return { ...call, result: call.result ?? '' };
    });
  }
  return history;
}

/** Keys of JSON Schema that node-llama-cpp's grammar builder understands; others (e.g. `$schema`, `format` on numbers) are dropped. */
const SCHEMA_KEYS = new Set([
  'type',
  'properties',
  'required',
  'items',
  'enum',
  'const',
  'oneOf',
  'anyOf',
  'description',
  'additionalProperties',
  'minItems',
  'maxItems',
]);

function simplifySchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(simplifySchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!SCHEMA_KEYS.has(key)) continue;
    if (key === 'properties' && value && typeof value === 'object')
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, simplifySchema(v)]));
    else out[key] = key === 'enum' || key === 'required' || key === 'description' ? value : simplifySchema(value);
  }
  return out;
}

/**
 * Our tools as node-llama-cpp functions without handlers: LlamaChat stops at a function call and returns it,
 * and our tool runner (approval, cards, cancel) runs it, as with every other provider.
 */
export function toFunctions(tools: ToolDescriptor[] | undefined): ChatModelFunctions | undefined {
  if (!tools?.length) return undefined;
  const functions: Record<string, { description?: string; params?: never }> = {};
  for (const tool of tools) {
    const params = simplifySchema(tool.inputSchema) as { properties?: object } | undefined;
    functions[tool.name] = {
      ...(tool.description ? { description: tool.description } : {}),
      ...(params && params.properties && Object.keys(params.properties).length ? { params: params as never } : {}),
    };
  }
  return functions;
}
