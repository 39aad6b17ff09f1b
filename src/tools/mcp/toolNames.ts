/**
 * Tool names the model sees. Two servers may both have a `search` tool, and model APIs want names that
 * match ^[a-zA-Z0-9_-]{1,64}$ (OpenAI's rule; Ollama passes names through), so names are cleaned and,
 * on a clash, every clashing tool gets its server's name as a prefix: neither server is favoured, and
 * the names do not depend on which server started first.
 */
import type { Tool, ToolAnnotations } from '@modelcontextprotocol/client';

export interface McpTool {
  /** Unique across servers: the name given to the model and used to call the tool back. */
  name: string;
  /** The server's own name for the tool, what tools/call gets. */
  originalName: string;
  server: string;
  title?: string;
  description?: string;
  /** JSON Schema of the arguments (an object schema). */
  inputSchema: Tool['inputSchema'];
  annotations?: ToolAnnotations;
}

const MAX = 64;

function clean(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX);
  return cleaned === '' ? 'tool' : cleaned;
}

/** Assigns unique names, in server order then each server's own tool order. */
export function exposeTools(servers: ReadonlyArray<{ server: string; tools: readonly Tool[] }>): McpTool[] {
  const flat = servers.flatMap(({ server, tools }) => tools.map((tool) => ({ server, tool, base: clean(tool.name) })));
  const counts = new Map<string, number>();
  for (const { base } of flat) counts.set(base, (counts.get(base) ?? 0) + 1);
  const taken = new Set<string>();
  return flat.map(({ server, tool, base }) => {
    const wanted = counts.get(base)! > 1 ? clean(`${server}_${tool.name}`) : base;
    let name = wanted;
    // Still taken (two servers whose names clean to the same text, or a server listing a name twice).
    for (let n = 2; taken.has(name); n++) name = wanted.slice(0, MAX - `_${n}`.length) + `_${n}`;
    taken.add(name);
    return {
      name,
      originalName: tool.name,
      server,
      title: tool.title ?? tool.annotations?.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      annotations: tool.annotations,
    };
  });
}
