/**
 * MCP server configuration: the `modelChat.mcp.servers` setting and the workspace's `.vscode/mcp.json`
 * (VS Code's format), checked for shape and merged. Never throws: every bad entry becomes a problem
 * naming the server and what is wrong with it, and the other servers still load.
 * Variables and inputs are replaced later, by `resolveMcpServers` (mcpResolve.ts).
 */
// The ESM build, named directly: the package's "main" is a UMD file whose require('./impl/…') calls
// esbuild cannot follow, so a bundle made with platform "node" fails at load with "Cannot find module".
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser/lib/esm/main.js';

export type McpServerSource = 'settings' | 'workspace';

/** An entry of mcp.json's `inputs`: the host asks the user for its value (and keeps passwords secret). */
export interface McpInput {
  type: string; // "promptString" (or "pickString", passed through to the host as written)
  id: string;
  description?: string;
  password?: boolean;
  default?: string;
  options?: string[];
}

interface EntryBase {
  name: string;
  source: McpServerSource;
}
export interface StdioEntry extends EntryBase {
  type: 'stdio';
  command: string;
  args: string[];
  /** `null` removes a variable that envFile set. */
  env: Record<string, string | null>;
  envFile?: string;
  cwd?: string;
}
export interface HttpEntry extends EntryBase {
  type: 'http' | 'sse';
  url: string;
  headers: Record<string, string>;
  /** A client registered with the server's authorization server out of band (MCP OAuth); variables allowed. */
  oauth?: { clientId: string; clientSecret?: string };
}
/** A server as written in the config, shape-checked, with its variables still in place. */
export type McpServerEntry = StdioEntry | HttpEntry;

export interface McpConfigProblem {
  source: McpServerSource;
  /** Absent when the problem is with the whole file or setting. */
  server?: string;
  message: string;
}

export interface McpConfig {
  /** Settings first, then the workspace's; a workspace server replaces a settings server of the same name. */
  entries: McpServerEntry[];
  inputs: McpInput[];
  problems: McpConfigProblem[];
}

export const WORKSPACE_FILE = '.vscode/mcp.json';

/** Reads both sources. `workspaceJson` is the text of .vscode/mcp.json (undefined when there is none). */
export function readMcpConfig(sources: { settingsServers?: unknown; workspaceJson?: string }): McpConfig {
  const problems: McpConfigProblem[] = [];
  const fromSettings = readServers(sources.settingsServers ?? {}, 'settings', problems);
  let fromWorkspace: McpServerEntry[] = [];
  let inputs: McpInput[] = [];
  if (sources.workspaceJson !== undefined && sources.workspaceJson.trim() !== '') {
    const doc = parseJsonc(sources.workspaceJson, problems);
    if (doc !== undefined) {
      if (!isObject(doc)) {
        problems.push({ source: 'workspace', message: `${WORKSPACE_FILE} must contain an object with a "servers" object` });
      } else {
        fromWorkspace = readServers(doc.servers ?? {}, 'workspace', problems);
        inputs = readInputs(doc.inputs, problems);
      }
    }
  }
  const byName = new Map<string, McpServerEntry>();
  for (const entry of [...fromSettings, ...fromWorkspace]) {
    byName.delete(entry.name); // so the winner takes the later position, keeping the order predictable
    byName.set(entry.name, entry);
  }
  return { entries: [...byName.values()], inputs, problems };
}

/** Workspace files are code from whoever wrote the repository: start their servers only in a trusted workspace. */
export function mayStart(server: { source: McpServerSource }, trusted: boolean): boolean {
  return server.source === 'settings' || trusted;
}

function parseJsonc(text: string, problems: McpConfigProblem[]): unknown {
  const errors: ParseError[] = [];
  const doc: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length === 0) return doc;
  // A half-parsed file could start a server with half its arguments: refuse the whole file instead.
  const first = errors[0];
  const before = text.slice(0, first.offset).split('\n');
  problems.push({
    source: 'workspace',
    message: `${WORKSPACE_FILE} is not valid JSON: ${printParseErrorCode(first.error)} at line ${before.length}, column ${before.at(-1)!.length + 1}`,
  });
  return undefined;
}

function readServers(raw: unknown, source: McpServerSource, problems: McpConfigProblem[]): McpServerEntry[] {
  const where = source === 'settings' ? 'modelChat.mcp.servers' : `"servers" in ${WORKSPACE_FILE}`;
  if (!isObject(raw)) {
    problems.push({ source, message: `${where} must be an object of server name to server` });
    return [];
  }
  const entries: McpServerEntry[] = [];
  for (const [name, value] of Object.entries(raw)) {
    try {
      entries.push(readServer(name, value, source));
    } catch (e) {
      problems.push({ source, server: name, message: `MCP server "${name}" (${where}): ${(e as Error).message}` });
    }
  }
  return entries;
}

function readServer(name: string, raw: unknown, source: McpServerSource): McpServerEntry {
  if (name.trim() === '') throw new Error('the server name is empty');
  if (!isObject(raw)) throw new Error('must be an object with "command" (stdio) or "url" (http)');
  // VS Code lets "type" be left out; it follows from "command" or "url".
  const type = raw.type ?? (raw.command !== undefined ? 'stdio' : raw.url !== undefined ? 'http' : undefined);
  if (type === 'stdio') {
    const command = raw.command;
    if (typeof command !== 'string' || command.trim() === '') throw new Error('"command" must be a non-empty string');
    return {
      name,
      source,
      type,
      command,
      args: stringArray(raw.args, 'args'),
      env: envObject(raw.env),
      envFile: optionalString(raw.envFile, 'envFile'),
      cwd: optionalString(raw.cwd, 'cwd'),
    };
  }
  if (type === 'http' || type === 'sse') {
    if (typeof raw.url !== 'string' || raw.url.trim() === '') throw new Error('"url" must be a non-empty string');
    const oauth = oauthClient(raw.oauth);
    return { name, source, type, url: raw.url, headers: stringRecord(raw.headers, 'headers'), ...(oauth && { oauth }) };
  }
  if (type === undefined) throw new Error('has neither "command" (stdio) nor "url" (http)');
  throw new Error(`unknown "type" ${JSON.stringify(type)}: use "stdio", "http" or "sse"`);
}

function readInputs(raw: unknown, problems: McpConfigProblem[]): McpInput[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push({ source: 'workspace', message: `"inputs" in ${WORKSPACE_FILE} must be an array` });
    return [];
  }
  const inputs: McpInput[] = [];
  raw.forEach((item, i) => {
    if (!isObject(item) || typeof item.id !== 'string' || item.id === '') {
      problems.push({ source: 'workspace', message: `inputs[${i}] in ${WORKSPACE_FILE} needs a string "id"` });
      return;
    }
    inputs.push({
      type: typeof item.type === 'string' ? item.type : 'promptString',
      id: item.id,
      description: typeof item.description === 'string' ? item.description : undefined,
      password: item.password === true,
      default: typeof item.default === 'string' ? item.default : undefined,
      options: Array.isArray(item.options) ? item.options.filter((o): o is string => typeof o === 'string') : undefined,
    });
  });
  return inputs;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Error(`"${field}" must be a string`);
  return v;
}

function stringArray(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  // Numbers are accepted because people write ports as numbers; they reach the process as text anyway.
  if (!Array.isArray(v) || !v.every((a) => typeof a === 'string' || typeof a === 'number')) {
    throw new Error(`"${field}" must be an array of strings`);
  }
  return v.map(String);
}

function oauthClient(v: unknown): HttpEntry['oauth'] {
  if (v === undefined) return undefined;
  if (!isObject(v) || typeof v.clientId !== 'string' || v.clientId.trim() === '')
    throw new Error('"oauth.clientId" must be a non-empty string');
  return { clientId: v.clientId, clientSecret: optionalString(v.clientSecret, 'oauth.clientSecret') };
}

function stringRecord(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObject(v)) throw new Error(`"${field}" must be an object of names to strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string' && typeof val !== 'number') throw new Error(`"${field}.${k}" must be a string`);
    out[k] = String(val);
  }
  return out;
}

function envObject(v: unknown): Record<string, string | null> {
  if (v === undefined) return {};
  if (!isObject(v)) throw new Error('"env" must be an object of names to strings');
  const out: Record<string, string | null> = {};
  for (const [k, val] of Object.entries(v)) {
    if (val !== null && typeof val !== 'string' && typeof val !== 'number') throw new Error(`"env.${k}" must be a string or null`);
    out[k] = val === null ? null : String(val);
  }
  return out;
}
