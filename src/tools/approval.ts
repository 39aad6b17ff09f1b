/**
 * Whether a tool call waits for the user's Allow. Annotations are hints from the server, not guarantees,
 * so only an explicit `readOnlyHint: true` counts as read-only (the MCP spec: a missing hint means false).
 */
import type { McpTool } from './mcp/toolNames';

export type ApprovalSetting = 'ask' | 'readOnly' | 'always';

/**
 * The key under which "always allow this tool" is remembered: server and the server's own tool name, which
 * stay the same when another server's tools make the exposed name change.
 */
export function approvalKey(tool: Pick<McpTool, 'server' | 'originalName'>): string {
  return `${tool.server}/${tool.originalName}`;
}

/**
 * `alwaysAllowed` holds approvalKey()s the user allowed for good. An unknown setting value asks: when in
 * doubt, the safe side.
 */
export function needsApproval(
  tool: Pick<McpTool, 'server' | 'originalName' | 'annotations'>,
  setting: ApprovalSetting | string | undefined,
  alwaysAllowed: ReadonlySet<string>,
): boolean {
  if (setting === 'always') return false;
  if (alwaysAllowed.has(approvalKey(tool))) return false;
  if (setting === 'readOnly') return tool.annotations?.readOnlyHint !== true;
  return true;
}
