/**
 * The built-in workspace tools as a tool source beside MCP: the same ToolSupport the session uses for MCP
 * servers, so the cards, approval, Stop and progress are the same. What each tool does lives in the
 * extension (it needs VS Code); this part decides which tools are offered, whether a call asks, and that
 * a call runs only with arguments its schema allows.
 */
import type { ToolTruncation } from '../../shared/protocol';
import type { ToolCall } from '../../streaming/providers/events';
import { parseArguments } from '../../streaming/providers/toolArguments';
import { needsApproval, type ApprovalSetting } from '../approval';
import type { ToolCallOptions, ToolDescriptor, ToolOutcome, ToolRunResult, ToolSupport } from '../toolSupport';
import { checkArgs } from './toolArgs';
import { offeredTools } from './enabledTools';
import { WORKSPACE_TOOLS, workspaceToolDef, type WorkspaceToolDef, type WorkspaceToolName } from './workspaceToolDefs';

/** What a card shows as the tools' "server". */
export const WORKSPACE_SOURCE = 'workspace';

export interface WorkspaceToolOutput {
  text: string;
  outcome?: Exclude<ToolOutcome, 'cancelled'>;
  truncated?: ToolTruncation;
}

export type WorkspaceToolHandler = (
  args: Record<string, unknown>,
  options: Pick<ToolCallOptions, 'signal' | 'onProgress' | 'cancel' | 'turn'>,
) => Promise<WorkspaceToolOutput>;

export interface WorkspaceToolSupportOptions {
  handlers: Record<WorkspaceToolName, WorkspaceToolHandler>;
  /** Read on every call, so a settings change applies to the next call. */
  approval(): ApprovalSetting | string;
  /** Workspace trust: in Restricted Mode only read-only tools are offered or run. */
  trusted(): boolean;
  /** The values of modelChat.tools.workspace.enabled that all must allow a tool (settingOwnership.ts). */
  enabledValues(): readonly unknown[];
  /** Tool names the user allowed for good. */
  alwaysAllowed(): ReadonlySet<string>;
  rememberAlwaysAllowed(name: string): void;
}

export class WorkspaceToolSupport implements ToolSupport {
  constructor(private readonly options: WorkspaceToolSupportOptions) {}

  offered(): WorkspaceToolDef[] {
    return offeredTools(WORKSPACE_TOOLS, { values: this.options.enabledValues(), trusted: this.options.trusted() });
  }

  async list(): Promise<ToolDescriptor[]> {
    return this.offered().map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: t.inputSchema,
      server: WORKSPACE_SOURCE,
      readOnly: t.readOnly,
      ...(t.alwaysAsks ? { alwaysAsks: true } : {}),
    }));
  }

  needsApproval(tool: ToolDescriptor): boolean {
    const def = workspaceToolDef(tool.name);
    if (!def || def.alwaysAsks) return true;
    return needsApproval(
      { server: WORKSPACE_SOURCE, originalName: def.name, annotations: { readOnlyHint: def.readOnly } },
      this.options.approval(),
      new Set([...this.options.alwaysAllowed()].map((name) => `${WORKSPACE_SOURCE}/${name}`)),
    );
  }

  alwaysAllow(tool: ToolDescriptor): void {
    const def = workspaceToolDef(tool.name);
    if (def && !def.alwaysAsks) this.options.rememberAlwaysAllowed(def.name);
  }

  async run(call: ToolCall, { signal, onProgress, cancel, turn }: ToolCallOptions): Promise<ToolRunResult> {
    const started = performance.now();
    const done = (outcome: ToolOutcome, content: string, truncated?: ToolTruncation): ToolRunResult => ({
      outcome,
      content,
      durationMs: Math.round(performance.now() - started),
      ...(truncated ? { truncated } : {}),
    });
    // Checked again here: the list the model saw may predate a settings change or a trust change.
    const def = this.offered().find((t) => t.name === call.name);
    if (!def) return done('failed', `The workspace tool "${call.name}" is turned off or not available here.`);
    const parsed = parseArguments(call.arguments);
    if ('error' in parsed) return done('failed', `The arguments for "${call.name}" are not a JSON object: ${parsed.error}`);
    const checked = checkArgs(def, parsed.value);
    if (!checked.ok) return done('failed', checked.error);
    if (signal.aborted) return done('cancelled', `The tool call "${call.name}" was cancelled.`);
    try {
      const out = await this.options.handlers[def.name](checked.args, { signal, onProgress, cancel, turn });
      if (signal.aborted) return done('cancelled', `The tool call "${call.name}" was cancelled.${out.text ? `\n${out.text}` : ''}`);
      return done(out.outcome ?? 'done', out.text, out.truncated);
    } catch (err) {
      if (signal.aborted) return done('cancelled', `The tool call "${call.name}" was cancelled.`);
      return done('failed', `${call.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
