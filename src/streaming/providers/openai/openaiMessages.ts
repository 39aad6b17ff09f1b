import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ChatMessage } from '../provider';
import type { ToolDescriptor } from '../../../tools/toolSupport';

/**
 * Our messages in chat-completions shape: tool calls carry `arguments` as a JSON string and an id, and a
 * tool result names the id it answers (`tool_call_id`).
 */
export function toOpenAIMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((m): ChatCompletionMessageParam => {
    if (m.role === 'assistant' && m.toolCalls?.length) {
      return {
        role: 'assistant',
        content: m.content || null,
        tool_calls: m.toolCalls.map((c, i) => ({
          id: c.id ?? `call_${i}`,
          type: 'function',
          function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
        })),
      };
    }
    if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content };
    return { role: m.role, content: m.content };
  });
}

export function toOpenAITools(tools: ToolDescriptor[] | undefined): ChatCompletionTool[] | undefined {
  return tools?.length
    ? tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description ?? '', parameters: t.inputSchema } }))
    : undefined;
}
