import type { ToolCall } from './events';

/**
 * A tool call's arguments as an object, or why they are not one. Providers parse the model's JSON text
 * with it (keeping the text when it fails, for the model to see); the tool runner checks again, because a
 * provider may hand over anything.
 */
export function parseArguments(raw: ToolCall['arguments']): { value: Record<string, unknown> } | { error: string } {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    // A tool without parameters: some servers send no argument text at all.
    if (raw.trim() === '') return { value: {} };
    try {
      value = JSON.parse(raw);
    } catch (e) {
      return { error: `${(e as Error).message} in ${JSON.stringify(raw.length > 200 ? `${raw.slice(0, 200)}…` : raw)}` };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { error: `got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}` };
  return { value: value as Record<string, unknown> };
}
