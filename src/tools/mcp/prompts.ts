/**
 * MCP prompts as `/` commands: what the running servers offer (prompts/list, every page) and one prompt filled
 * in (prompts/get) as the text that goes into the message box. Embedded resources in its messages become
 * context attachments rather than text in the box.
 */
import type { GetPromptResult } from '@modelcontextprotocol/client';
import type { PromptInfo } from '../../shared/protocol';
import type { ContextAttachment } from '../../streaming/chat/contextPrompt';
import { TIMEOUTS } from '../../shared/timeouts';
import { allPages, forEachServer, resourceAttachment, resourceText, type McpClients, type RequestOptions } from './resources';

/** A prompt's text goes into the message box: the page refuses more than a million characters anyway. */
const MAX_PROMPT_CHARS = 200_000;

/** Every prompt of every running server that has prompts; a server that fails is named in `problems`. */
export async function listPrompts(
  source: McpClients,
  options: RequestOptions = {},
): Promise<{ prompts: PromptInfo[]; problems: string[] }> {
  const prompts: PromptInfo[] = [];
  const problems: string[] = [];
  const request = { signal: options.signal, timeout: options.timeoutMs ?? TIMEOUTS.mcpRequestMs };
  problems.push(
    ...(await forEachServer(source, 'prompts', options.signal, async (server, client) => {
      for (const p of await allPages(
        (cursor) => client.listPrompts(cursor, request),
        (page) => page.prompts,
      ))
        prompts.push({
          server,
          name: p.name,
          ...(p.title ? { title: p.title } : {}),
          ...(p.description ? { description: p.description } : {}),
          arguments: (p.arguments ?? []).map((a) => ({
            name: a.name,
            ...(a.description ? { description: a.description } : {}),
            ...(a.required ? { required: true } : {}),
          })),
        });
    })),
  );
  // Servers answer in any order: the menu lists them the same way every time.
  prompts.sort((a, b) => a.server.localeCompare(b.server) || a.name.localeCompare(b.name));
  return { prompts, problems };
}

export interface FilledPrompt {
  /** What goes into the message box. */
  text: string;
  /** Resources the prompt embeds, as chips. */
  attachments: ContextAttachment[];
}

/** Gets a prompt with the user's arguments. Throws an Error with a user-facing message. */
export async function getPrompt(
  source: McpClients,
  server: string,
  name: string,
  args: Record<string, string>,
  options: RequestOptions = {},
): Promise<FilledPrompt> {
  const client = await source.client(server);
  let result: GetPromptResult;
  try {
    result = await client.getPrompt(
      { name, arguments: args },
      { signal: options.signal, timeout: options.timeoutMs ?? TIMEOUTS.mcpRequestMs },
    );
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new Error(`MCP server "${server}" could not give the prompt "${name}": ${(e as Error).message}`, { cause: e });
  }
  return promptMessages(server, result);
}

/**
 * A prompt's messages as one draft. The box holds one question, so messages are joined; the assistant's turns
 * in a prompt are examples of what is wanted, kept as text with who said it when there are several speakers.
 */
export function promptMessages(server: string, result: GetPromptResult): FilledPrompt {
  const speakers = new Set(result.messages.map((m) => m.role));
  const texts: string[] = [];
  const attachments: ContextAttachment[] = [];
  for (const message of result.messages) {
    const content = message.content;
    let text: string | undefined;
    if (content.type === 'text') text = content.text;
    else if (content.type === 'resource') {
      const read = resourceText(server, content.resource.uri, { contents: [content.resource] });
      if (read.ok) attachments.push(resourceAttachment(read.resource, lastSegment(content.resource.uri)));
      else text = `[${read.reason}]`;
    } else if (content.type === 'resource_link') text = `[resource ${content.name}: ${content.uri}]`;
    else text = `[${content.type} left out: only text goes into the message box]`;
    if (text === undefined) continue;
    texts.push(speakers.size > 1 ? `${message.role === 'user' ? 'User' : 'Assistant'}: ${text}` : text);
  }
  const text = texts.join('\n\n');
  return { text: text.length > MAX_PROMPT_CHARS ? text.slice(0, MAX_PROMPT_CHARS) : text, attachments };
}

function lastSegment(uri: string): string {
  const trimmed = uri.replace(/\/+$/, '');
  const last = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last) || uri;
  } catch {
    return last || uri;
  }
}
