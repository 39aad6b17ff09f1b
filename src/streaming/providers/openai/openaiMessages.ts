import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ChatMessage } from '../provider';
import type { ToolDescriptor } from '../../../tools/toolSupport';

/**
 * Our messages in chat-completions shape: tool calls carry `arguments` as a JSON string and an id, and a
 * tool result names the id it answers (`tool_call_id`). A call's provider-specific fields (`extra`, e.g.
 * Gemini's `extra_content` with the thought signature it requires back) go back on it unchanged.
 */
export function toOpenAIMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  // Ids of the last assistant message's calls not yet answered, for results that name none.
  let unanswered: string[] = [];
  return messages.map((m, at): ChatCompletionMessageParam => {
    if (m.role === 'assistant' && m.toolCalls?.length) {
      const tool_calls = m.toolCalls.map((c, i) => ({
        ...c.extra,
        // Calls are recorded with ids; one without (made elsewhere) still gets one unique in the request.
        id: c.id ?? `call_${at}_${i}`,
        type: 'function' as const,
        function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
      }));
      unanswered = tool_calls.map((c) => c.id);
      return { role: 'assistant', content: m.content || null, tool_calls };
    }
    if (m.role === 'tool') {
      const id = m.toolCallId ?? unanswered[0] ?? '';
      unanswered = unanswered.filter((u) => u !== id);
      return { role: 'tool', tool_call_id: id, content: m.content };
    }
    unanswered = [];
    if (m.role === 'user' && m.images?.length) {
      return {
        role: 'user',
        content: [
          { type: 'text', text: m.content },
          ...m.images.map((i) => ({ type: 'image_url' as const, image_url: { url: `data:${i.mimeType};base64,${i.data}` } })),
        ],
      };
    }
    return { role: m.role, content: m.content };
  });
}

export function toOpenAITools(tools: ToolDescriptor[] | undefined): ChatCompletionTool[] | undefined {
  return tools?.length
    ? tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description ?? '', parameters: t.inputSchema } }))
    : undefined;
}
