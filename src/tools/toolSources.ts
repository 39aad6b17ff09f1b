/**
 * Several tool sources (the built-in workspace tools, MCP servers) as the one ToolSupport a session uses.
 * Names stay unique across sources: an earlier source keeps its names and a later source's clashing tool
 * gets its server (or source index) as a prefix, so an MCP server from a repository cannot take over a
 * built-in tool's name (server-filesystem has a `read_file` too).
 */
import type { ToolCall } from '../streaming/providers/events';
import type { ToolCallOptions, ToolDescriptor, ToolRunResult, ToolSupport } from './toolSupport';

interface Route {
  source: ToolSupport;
  /** The tool as its source listed it. */
  tool: ToolDescriptor;
}

const MAX_NAME = 64;

export class ToolSources implements ToolSupport {
  /** The last list's names; a call is routed by the name the model was given. */
  private routes = new Map<string, Route>();

  constructor(private readonly sources: readonly ToolSupport[]) {}

  async list(signal: AbortSignal, conversation?: string): Promise<ToolDescriptor[]> {
    const lists = await Promise.all(
      this.sources.map((source) =>
        // One failing source (a broken MCP config) must not take the others' tools away; a Stop still ends the wait.
        source.list(signal, conversation).catch((err: unknown) => {
          if (signal.aborted) throw err;
          return [] as ToolDescriptor[];
        }),
      ),
    );
    const routes = new Map<string, Route>();
    const offered: ToolDescriptor[] = [];
    lists.forEach((tools, index) => {
      for (const tool of tools) {
        let name = tool.name;
        if (routes.has(name)) name = `${(tool.server ?? `source${index}`).replace(/[^A-Za-z0-9_-]/g, '_')}_${tool.name}`.slice(0, MAX_NAME);
        for (let n = 2; routes.has(name); n++) name = `${name.slice(0, MAX_NAME - `_${n}`.length)}_${n}`;
        routes.set(name, { source: this.sources[index], tool });
        offered.push(name === tool.name ? tool : { ...tool, name });
      }
    });
    this.routes = routes;
    return offered;
  }

  needsApproval(tool: ToolDescriptor): boolean {
    const route = this.routes.get(tool.name);
    // Unknown (listed before a change): ask; the run will report it missing.
    return route ? route.source.needsApproval(route.tool) : true;
  }

  alwaysAllow(tool: ToolDescriptor): void {
    const route = this.routes.get(tool.name);
    route?.source.alwaysAllow(route.tool);
  }

  run(call: ToolCall, options: ToolCallOptions): Promise<ToolRunResult> {
    const route = this.routes.get(call.name) ?? { source: this.sources[this.sources.length - 1], tool: undefined };
    const source = route.source;
    return source.run(route.tool ? { ...call, name: route.tool.name } : call, options);
  }
}
