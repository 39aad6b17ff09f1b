/**
 * Tools for a model without native tool calling: described in the system prompt, called as Hermes-style
 * `<tool_call>` blocks (the format most small open models were trained on, and the one the parser reads
 * first), results sent back as `<tool_response>` in a user message. The description is the same bytes for
 * the same tools on every turn (sorted, no dates or counts), so the server's prompt cache keeps the prefix.
 */
import type { ChatMessage } from '../../streaming/providers/provider';
import type { ToolDescriptor } from '../toolSupport';

/** A tool as it is described to the model: the same fields the native APIs carry. */
export function toolDefinition(tool: ToolDescriptor): { name: string; description?: string; parameters: Record<string, unknown> } {
  return { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.inputSchema };
}

export function toolsPrompt(tools: readonly ToolDescriptor[]): string {
  const lines = [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((t) => JSON.stringify(toolDefinition(t)));
  return [
    '# Tools',
    '',
    'You can call the tools below. To call one, write only this, and nothing after it:',
    '<tool_call>',
    '{"name": "<tool name>", "arguments": {<the arguments, as JSON>}}',
    '</tool_call>',
    'Several calls go in several blocks. Each result comes back in a <tool_response> block; then go on with the answer.',
    '',
    'Tools (one JSON object a line):',
    ...lines,
  ].join('\n');
}

/** The system prompt with the tools described after the instructions (which may be none). */
export function withToolsPrompt(system: string | undefined, tools: readonly ToolDescriptor[]): string {
  const block = toolsPrompt(tools);
  return system ? `${system}\n\n${block}` : block;
}

/**
 * The conversation in plain messages for a model without tool roles: each call as the `<tool_call>` block
 * it would have written, each result as a `<tool_response>` the user sends (several in a row join in one
 * message, so roles still alternate).
 */
export function textToolHistory(messages: readonly ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    if (m.role === 'assistant' && m.toolCalls?.length) {
      const blocks = m.toolCalls.map((c) => `<tool_call>\n${JSON.stringify({ name: c.name, arguments: c.arguments })}\n</tool_call>`);
      const lead = m.content && !m.content.endsWith('\n') ? `${m.content}\n` : m.content;
      out.push({ role: 'assistant', content: lead + blocks.join('\n') });
    } else if (m.role === 'tool') {
      const response = `<tool_response name=${JSON.stringify(m.toolName)}>\n${m.content}\n</tool_response>`;
      const last = out.at(-1);
      if (last?.role === 'user' && last.content.startsWith('<tool_response')) last.content += `\n${response}`;
      else out.push({ role: 'user', content: response });
    } else out.push({ ...m });
  }
  return out;
}
