/**
 * MCP resources as context: what the running servers offer (resources/list and resources/templates/list, every
 * page) and one resource read (resources/read) as text the model can be given. Text contents as they are; a blob
 * decoded when it is text and refused when it is not (the same test as for files), every read under a size cap
 * and cancellable.
 */
import type { Client, ReadResourceResult } from '@modelcontextprotocol/client';
import { loadMcpSdk } from './mcpSdk';
import { cutAtLine, decodeText, MAX_ATTACHMENT_CHARS, type ContextAttachment, type Refusal } from '../../streaming/chat/contextPrompt';
import { fenceFor } from '../../shared/markdownFences';
import { estimateTokens } from '../../shared/tokens';
import { TIMEOUTS } from '../../shared/timeouts';

/** What resources and prompts are listed from: McpConnections (the servers running now, and their clients). */
export interface McpClients {
  readonly running: string[];
  client(server: string): Promise<Client>;
}

export interface McpResourceRef {
  server: string;
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  /** Bytes, when the server says. */
  size?: number;
}

export interface McpResourceTemplateRef {
  server: string;
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A server with more pages than this is listing something else than what a person picks from. */
const MAX_PAGES = 20;
/**
 * A read larger than this (text characters, or decoded blob bytes) is refused rather than kept: only the first
 * MAX_ATTACHMENT_CHARS would reach the model anyway. The SDK has parsed the message by then; a stdio or HTTP
 * message itself is not bounded by the SDK.
 */
export const MAX_RESOURCE_BYTES = 8 * 1024 * 1024;

/** Every resource and template of every running server that has resources; a server that fails is named in `problems`. */
export async function listResources(
  source: McpClients,
  options: RequestOptions = {},
): Promise<{ resources: McpResourceRef[]; templates: McpResourceTemplateRef[]; problems: string[] }> {
  const resources: McpResourceRef[] = [];
  const templates: McpResourceTemplateRef[] = [];
  const problems: string[] = [];
  const request = { signal: options.signal, timeout: options.timeoutMs ?? TIMEOUTS.mcpRequestMs };
  problems.push(
    ...(await forEachServer(source, 'resources', options.signal, async (server, client) => {
      for (const r of await allPages(
        (cursor) => client.listResources(cursor, request),
        (p) => p.resources,
      ))
        resources.push({ server, ...pick(r), uri: r.uri, ...(r.size !== undefined ? { size: r.size } : {}) });
      for (const t of await allPages(
        (cursor) => client.listResourceTemplates(cursor, request),
        (p) => p.resourceTemplates,
      ))
        templates.push({ server, ...pick(t), uriTemplate: t.uriTemplate });
    })),
  );
  return { resources, templates, problems };
}

/**
 * Runs `each` for every running server that declares `capability`, all at once. A server that fails is named in
 * the returned problems (the others' results still count); a Stop ends the whole listing.
 */
export async function forEachServer(
  source: McpClients,
  capability: 'resources' | 'prompts',
  signal: AbortSignal | undefined,
  each: (server: string, client: Client) => Promise<void>,
): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    source.running.map(async (server) => {
      try {
        const client = await source.client(server);
        if (client.getServerCapabilities()?.[capability]) await each(server, client);
      } catch (e) {
        if (signal?.aborted) throw e;
        problems.push(`MCP server "${server}": could not list its ${capability}: ${(e as Error).message}`);
      }
    }),
  );
  return problems;
}

/** Every item of a paged list, following `nextCursor` for at most MAX_PAGES pages. */
export async function allPages<P extends { nextCursor?: string }, T>(
  list: (params: { cursor: string } | undefined) => Promise<P>,
  items: (page: P) => T[],
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await list(cursor ? { cursor } : undefined);
    all.push(...items(result));
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return all;
}

function pick(r: { name: string; title?: string; description?: string; mimeType?: string }) {
  return {
    name: r.name,
    ...(r.title ? { title: r.title } : {}),
    ...(r.description ? { description: r.description } : {}),
    ...(r.mimeType ? { mimeType: r.mimeType } : {}),
  };
}

export interface ResourceText {
  server: string;
  uri: string;
  /** Each content's text, in order (a read may return several, e.g. the files of a folder). */
  parts: Array<{ uri: string; mimeType?: string; text: string }>;
}

/** Reads one resource as text. Refused (with a reason a user can read) when it is binary or too large. */
export async function readResourceText(
  source: McpClients,
  server: string,
  uri: string,
  options: RequestOptions & { knownSize?: number } = {},
): Promise<{ ok: true; resource: ResourceText } | Refusal> {
  if (options.knownSize !== undefined && options.knownSize > MAX_RESOURCE_BYTES) return { ok: false, reason: tooLarge(uri) };
  let result: ReadResourceResult;
  try {
    const client = await source.client(server);
    result = await client.readResource({ uri }, { signal: options.signal, timeout: options.timeoutMs ?? TIMEOUTS.mcpRequestMs });
  } catch (e) {
    if (options.signal?.aborted) throw e;
    return { ok: false, reason: `${uri} could not be read from MCP server "${server}": ${(e as Error).message}` };
  }
  return resourceText(server, uri, result);
}

/** A resources/read result as text: what readResourceText returns, from a result already at hand (embedded resources too). */
export function resourceText(server: string, uri: string, result: ReadResourceResult): { ok: true; resource: ResourceText } | Refusal {
  const parts: ResourceText['parts'] = [];
  let total = 0;
  for (const content of result.contents) {
    let text: string | undefined;
    if ('text' in content && typeof content.text === 'string') {
      total += content.text.length;
      text = content.text;
    } else if ('blob' in content && typeof content.blob === 'string') {
      // Base64 is 4 characters per 3 bytes: the size is known before anything is decoded.
      total += Math.floor((content.blob.length * 3) / 4);
      if (total > MAX_RESOURCE_BYTES) return { ok: false, reason: tooLarge(uri) };
      text = decodeText(Buffer.from(content.blob, 'base64'));
      if (text === undefined)
        return { ok: false, reason: `${content.uri} is binary (${content.mimeType ?? 'no type given'}); only text can be attached.` };
    }
    if (total > MAX_RESOURCE_BYTES) return { ok: false, reason: tooLarge(uri) };
    if (text !== undefined) parts.push({ uri: content.uri, ...(content.mimeType ? { mimeType: content.mimeType } : {}), text });
  }
  if (!parts.length) return { ok: false, reason: `MCP server "${server}" returned nothing for ${uri}.` };
  return { ok: true, resource: { server, uri, parts } };
}

const tooLarge = (uri: string) => `${uri} is too large to attach (the limit is ${MAX_RESOURCE_BYTES / 1024 / 1024} MiB).`;

/** A resource as a context chip's attachment: each part fenced under a heading naming the server, cut like a file. */
export function resourceAttachment(resource: ResourceText, name: string, maxChars = MAX_ATTACHMENT_CHARS): ContextAttachment {
  const blocks: string[] = [];
  const notes: string[] = [];
  let left = maxChars;
  for (const part of resource.parts) {
    if (left <= 0) {
      notes.push(`${resource.parts.length - blocks.length} more part(s) left out`);
      break;
    }
    const cut = cutAtLine(part.text, left);
    left -= cut.text.length;
    const body = cut.text === '' || cut.text.endsWith('\n') ? cut.text : `${cut.text}\n`;
    const fence = fenceFor(body);
    const heading = `Resource from MCP server "${resource.server}": ${part.uri}${part.mimeType ? ` (${part.mimeType})` : ''}`;
    blocks.push(`${heading}\n${fence}${infoFor(part.mimeType)}\n${body}${fence}${cut.note ? `\n[truncated: ${cut.note}]` : ''}`);
    if (cut.note) notes.push(cut.note);
  }
  const text = blocks.join('\n\n');
  const note = notes.join('; ');
  return {
    kind: 'resource',
    label: `${resource.server}: ${name}`,
    detail: `${resource.uri} (MCP server "${resource.server}")`,
    text,
    tokens: estimateTokens(text),
    ...(note ? { note } : {}),
  };
}

/** The fence's info string for a MIME type: `text/markdown` → `markdown`, `application/json` → `json`. */
function infoFor(mimeType: string | undefined): string {
  const sub = mimeType?.split(';')[0].split('/')[1] ?? '';
  if (sub === 'plain') return '';
  return /^[a-z0-9.+-]{1,30}$/i.test(sub) ? sub.replace(/^x-/, '').replace(/\+.*$/, '') : '';
}

/** A template's variables (RFC 6570, the SDK's parser), and the URI once they are given. */
export async function uriTemplate(template: string): Promise<{ variables: string[]; expand(values: Record<string, string>): string }> {
  const { UriTemplate } = await loadMcpSdk();
  const parsed = new UriTemplate(template);
  return { variables: parsed.variableNames, expand: (values) => parsed.expand(values) };
}
