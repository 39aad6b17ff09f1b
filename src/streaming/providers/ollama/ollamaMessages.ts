import type { Message, Tool } from 'ollama';
import type { ChatMessage } from '../provider';
import type { ToolDescriptor } from '../../../tools/toolSupport';

/**
 * Our messages in Ollama's /api/chat shape: tool calls carry `arguments` as an object and no id; a tool
 * result is `{ role: "tool", tool_name, content }` after the assistant message that asked for it. Ids and
 * other providers' fields on a call (`extra`) stay out: Ollama pairs a result with its call by name and order.
 */
export function toOllamaMessages(messages: ChatMessage[]): Message[] {
  return messages.map((m) => {
    if (m.role === 'assistant' && m.toolCalls?.length) {
      const tool_calls = m.toolCalls.map((c) => ({
        function: { name: c.name, arguments: typeof c.arguments === 'string' ? {} : c.arguments },
      }));
      return { role: 'assistant', content: m.content, tool_calls };
    }
    if (m.role === 'tool') return { role: 'tool', content: m.content, tool_name: m.toolName };
    // Ollama takes images as bare base64 on the message (no data: prefix, no MIME type: it sniffs them).
    if (m.role === 'user' && m.images?.length) return { role: 'user', content: m.content, images: m.images.map((i) => i.data) };
    return { role: m.role, content: m.content };
  });
}

export function toOllamaTools(tools: ToolDescriptor[] | undefined): Tool[] | undefined {
  return tools?.length
    ? tools.map((t) => ({
        type: 'function',
        function: { name: t.name, description: t.description ?? '', parameters: t.inputSchema as Tool['function']['parameters'] },
      }))
    : undefined;
}
