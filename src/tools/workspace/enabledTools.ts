/**
 * `modelChat.tools.workspace.enabled`: an array names the tools that are on (the rest are off), an object
 * turns single tools off (`{ "run_command": false }`); absent or anything else leaves every tool on.
 */
import type { WorkspaceToolDef } from './workspaceToolDefs';

export function enabledBy(value: unknown, name: string): boolean {
  if (Array.isArray(value)) return value.includes(name);
  if (value && typeof value === 'object') return (value as Record<string, unknown>)[name] !== false;
  return true;
}

/** The tools to offer: on in every given value, and in Restricted Mode only the read-only ones. */
export function offeredTools<T extends Pick<WorkspaceToolDef, 'name' | 'readOnly'>>(
  tools: readonly T[],
  { values, trusted }: { values: readonly unknown[]; trusted: boolean },
): T[] {
  return tools.filter((t) => (trusted || t.readOnly) && values.every((v) => enabledBy(v, t.name)));
}
