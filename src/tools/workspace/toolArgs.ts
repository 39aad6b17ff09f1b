/**
 * Checks a model's arguments against a workspace tool's own schema (the flat subset these schemas use:
 * string, integer, boolean, required, minimum/maximum) plus a size cap per string, so a tool runs only
 * with arguments of the types and sizes it declared, and the model gets told exactly what was wrong.
 */
import type { WorkspaceToolDef } from './workspaceToolDefs';

/** Longest string argument, in characters: file content is the only long one. */
const MAX_STRING = 4_000;
const MAX_LONG_STRING: Record<string, number> = { content: 1024 * 1024 };

interface PropertySchema {
  type?: string;
  minimum?: number;
  maximum?: number;
  default?: unknown;
}

export type CheckedArgs = { ok: true; args: Record<string, unknown> } | { ok: false; error: string };

export function checkArgs(def: WorkspaceToolDef, raw: Record<string, unknown>): CheckedArgs {
  const schema = def.inputSchema as { properties?: Record<string, PropertySchema>; required?: string[] };
  const properties = schema.properties ?? {};
  const args: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(properties, key))
      return fail(def, `unknown argument "${key}"; expected ${Object.keys(properties).join(', ') || 'none'}`);
  }
  for (const [key, prop] of Object.entries(properties)) {
    const value = raw[key];
    if (value === undefined || value === null) {
      if (schema.required?.includes(key)) return fail(def, `"${key}" is required`);
      if (prop.default !== undefined) args[key] = prop.default;
      continue;
    }
    if (prop.type === 'string') {
      if (typeof value !== 'string') return fail(def, `"${key}" must be a string`);
      const max = MAX_LONG_STRING[key] ?? MAX_STRING;
      if (value.length > max) return fail(def, `"${key}" is longer than ${max} characters`);
      if (value.includes('\0')) return fail(def, `"${key}" contains a NUL character`);
    } else if (prop.type === 'integer') {
      // Models often send numbers as strings ("10"): accepted when they are whole numbers.
      const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) return fail(def, `"${key}" must be a whole number`);
      if (prop.minimum !== undefined && n < prop.minimum) return fail(def, `"${key}" must be at least ${prop.minimum}`);
      if (prop.maximum !== undefined && n > prop.maximum) return fail(def, `"${key}" must be at most ${prop.maximum}`);
      args[key] = n;
      continue;
    } else if (prop.type === 'boolean') {
      const b = value === 'true' ? true : value === 'false' ? false : value;
      if (typeof b !== 'boolean') return fail(def, `"${key}" must be true or false`);
      args[key] = b;
      continue;
    }
    args[key] = value;
  }
  return { ok: true, args };
}

function fail(def: WorkspaceToolDef, why: string): CheckedArgs {
  return { ok: false, error: `Invalid arguments for ${def.name}: ${why}.` };
}
