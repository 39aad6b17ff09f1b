import type { ToolCall } from '../../streaming/providers/events';
import { ChildAbort, race } from '../../shared/abort';
import type { ToolDescriptor, ToolCallOptions, ToolRunResult, ToolSupport } from '../toolSupport';
import { approvalKey, needsApproval, type ApprovalSetting } from '../approval';
import type { McpConnections } from './mcpConnections';
import { CallActivity, runTool } from './toolRunner';

export interface McpToolSupportOptions {
  /** Read on every call, so a settings change applies to the next tool call. */
  approval(): ApprovalSetting | string;
  timeoutMs(): number;
  /** The longest one call may run even while it reports progress (runTool's default when absent). */
  maxLifetimeMs?(): number;
  /** Where the full text of a result too large for the chat is kept. */
  resultFiles?: { save(text: string): Promise<string> };
  /** approvalKey()s the user allowed for good (the host keeps them per workspace). */
  alwaysAllowed(): ReadonlySet<string>;
  rememberAlwaysAllowed(key: string): void;
  /** Wraps each run, e.g. to show long calls in VS Code's progress UI; `cancel` cancels this call only. */
  aroundRun?<T>(
    call: ToolCall,
    run: (onProgress: (progress: number, total?: number, message?: string) => void) => Promise<T>,
    cancel: () => void,
  ): Promise<T>;
}

/** A tool call in progress: a server's request that comes while it runs (a form) belongs to it. */
export interface RunningToolCall {
  server: string;
  cardId?: string;
  /** Aborts when the call ends, however it ends (result, Stop, Cancel, timeout). */
  ended: AbortSignal;
  /** Told while a form that may be this call's is open, so the call does not time out under the user's hands. */
  activity: CallActivity;
}

/** The chat session's view of MCP: every connected server's tools, the approval policy, runTool. */
export class McpToolSupport implements ToolSupport {
  private readonly running = new Set<RunningToolCall>();

  constructor(
    private readonly connections: McpConnections,
    private readonly options: McpToolSupportOptions,
  ) {}

  async list(signal: AbortSignal): Promise<ToolDescriptor[]> {
    // A Stop while servers are still starting ends the wait (they go on starting).
    await race(this.connections.ensureStarted(), signal);
    return this.connections.tools.map((t) => ({
      name: t.name,
      description: t.description ?? t.title,
      inputSchema: t.inputSchema as Record<string, unknown>,
      server: t.server,
      readOnly: t.annotations?.readOnlyHint === true,
    }));
  }

  needsApproval(tool: ToolDescriptor): boolean {
    const mcp = this.connections.findTool(tool.name);
    // A tool that vanished since it was listed still asks: runTool will report it missing.
    return mcp ? needsApproval(mcp, this.options.approval(), this.options.alwaysAllowed()) : true;
  }

  alwaysAllow(tool: ToolDescriptor): void {
    const mcp = this.connections.findTool(tool.name);
    if (mcp) this.options.rememberAlwaysAllowed(approvalKey(mcp));
  }

  /** The calls of `server` running now, in every conversation. */
  runningCalls(server: string): RunningToolCall[] {
    return [...this.running].filter((c) => c.server === server);
  }

  async run(call: ToolCall, options: ToolCallOptions): Promise<ToolRunResult> {
    const server = this.connections.findTool(call.name)?.server;
    if (server === undefined) return this.runOne(call, options);
    const ended = new ChildAbort(options.signal);
    const running: RunningToolCall = { server, cardId: options.cardId, ended: ended.signal, activity: new CallActivity() };
    this.running.add(running);
    try {
      return await this.runOne(call, options, running.activity);
    } finally {
      this.running.delete(running);
      ended.abort();
    }
  }

  private async runOne(call: ToolCall, { signal, cancel, onProgress }: ToolCallOptions, activity?: CallActivity): Promise<ToolRunResult> {
    const go = (progress: typeof onProgress) =>
      runTool(this.connections, call, {
        signal,
        timeoutMs: this.options.timeoutMs(),
        activity,
        maxLifetimeMs: this.options.maxLifetimeMs?.(),
        resultFiles: this.options.resultFiles,
        onProgress: progress,
      });
    const result = this.options.aroundRun
      ? await this.options.aroundRun(call, (extra) => go((p, t, m) => (onProgress(p, t, m), extra(p, t, m))), cancel)
      : await go(onProgress);
    return {
      outcome: result.outcome,
      content: result.content,
      images: result.images,
      ...(result.links ? { links: result.links } : {}),
      durationMs: result.durationMs,
      ...(result.truncated ? { truncated: result.truncated } : {}),
    };
  }
}
