/**
 * Turns checked config entries into servers ready to start: variables replaced, inputs asked for,
 * envFile read. Never throws; a server that cannot be resolved becomes a problem and is left out.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { isAbsolute, resolve as resolvePath, sep } from 'node:path';
import { mayStart, readMcpConfig, type McpConfigProblem, type McpInput, type McpServerEntry, type McpServerSource } from './mcpConfig';
import { inputIdsIn, parseDotenv, substitute, type VariableValues } from './mcpVariables';

interface ConfigBase {
  name: string;
  source: McpServerSource;
}
export interface StdioServerConfig extends ConfigBase {
  type: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}
export interface HttpServerConfig extends ConfigBase {
  type: 'http' | 'sse';
  url: string;
  headers: Record<string, string>;
}
/** A server ready to start: what McpConnections takes. */
export type McpServerConfig = StdioServerConfig | HttpServerConfig;

export interface ResolveOptions {
  /** `workspace.isTrusted`: workspace servers are neither resolved (no prompts) nor started otherwise. */
  trusted: boolean;
  workspaceFolder?: string;
  userHome: string;
  env: Record<string, string | undefined>;
  /** The `inputs` of mcp.json. */
  inputs: McpInput[];
  /**
   * Asks for an input's value; undefined when the user cancels. Called at most once per input id per
   * resolution, one at a time. The host remembers answers (passwords in SecretStorage) so users are asked once.
   */
  resolveInput(input: McpInput): Promise<string | undefined>;
  readFile?: (path: string) => Promise<string>;
}

export interface ResolvedServers {
  servers: McpServerConfig[];
  /** Workspace servers not started because the workspace is not trusted. */
  blocked: McpServerEntry[];
  problems: McpConfigProblem[];
}

export async function resolveMcpServers(entries: McpServerEntry[], options: ResolveOptions): Promise<ResolvedServers> {
  const result: ResolvedServers = { servers: [], blocked: [], problems: [] };
  const answers = new Map<string, string | undefined>();
  for (const entry of entries) {
    if (!mayStart(entry, options.trusted)) {
      result.blocked.push(entry);
      continue;
    }
    try {
      const inputs = await askInputs(entry, options, answers);
      const values: VariableValues = { workspaceFolder: options.workspaceFolder, userHome: options.userHome, env: options.env, inputs, pathSeparator: sep };
      result.servers.push(await resolveEntry(entry, values, options));
    } catch (e) {
      result.problems.push({ source: entry.source, server: entry.name, message: `MCP server "${entry.name}": ${(e as Error).message}` });
    }
  }
  return result;
}

/** readMcpConfig then resolveMcpServers: everything the host needs from the two config sources. */
export async function loadMcpServers(
  sources: { settingsServers?: unknown; workspaceJson?: string },
  options: Omit<ResolveOptions, 'inputs'>,
): Promise<ResolvedServers> {
  const config = readMcpConfig(sources);
  const resolved = await resolveMcpServers(config.entries, { ...options, inputs: config.inputs });
  return { ...resolved, problems: [...config.problems, ...resolved.problems] };
}

/** Every string of an entry that may hold variables. */
function stringsOf(entry: McpServerEntry): string[] {
  if (entry.type === 'stdio') {
    const env = Object.values(entry.env).filter((v): v is string => v !== null);
    return [entry.command, ...entry.args, ...env, entry.envFile ?? '', entry.cwd ?? ''];
  }
  return [entry.url, ...Object.values(entry.headers)];
}

async function askInputs(entry: McpServerEntry, options: ResolveOptions, answers: Map<string, string | undefined>): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const id of new Set(stringsOf(entry).flatMap(inputIdsIn))) {
    if (!answers.has(id)) {
      // An input used in settings has nowhere to be declared: ask anyway, and treat the value as a secret
      // (the safe side: it is often a token).
      const input = options.inputs.find((i) => i.id === id) ?? { type: 'promptString', id, description: id, password: true };
      answers.set(id, await options.resolveInput(input).catch(() => undefined));
    }
    const value = answers.get(id);
    if (value === undefined) throw new Error(`input "${id}" was not provided`);
    values.set(id, value);
  }
  return values;
}

async function resolveEntry(entry: McpServerEntry, values: VariableValues, options: ResolveOptions): Promise<McpServerConfig> {
  const sub = (text: string) => substitute(text, values);
  const { name, source } = entry;
  if (entry.type !== 'stdio') {
    const url = sub(entry.url);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`"url" is not a valid URL: ${url}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`"url" must be http or https: ${url}`);
    const headers = Object.fromEntries(Object.entries(entry.headers).map(([k, v]) => [k, sub(v)]));
    return { name, source, type: entry.type, url, headers };
  }
  const inFolder = (path: string, field: string) => {
    if (isAbsolute(path)) return path;
    if (!values.workspaceFolder) throw new Error(`"${field}" is a relative path (${path}) but no workspace folder is open`);
    return resolvePath(values.workspaceFolder, path);
  };
  const env: Record<string, string> = {};
  if (entry.envFile !== undefined) {
    const path = inFolder(sub(entry.envFile), 'envFile');
    let text: string;
    try {
      text = await (options.readFile ?? ((p: string) => fsReadFile(p, 'utf8')))(path);
    } catch (e) {
      throw new Error(`cannot read envFile ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    Object.assign(env, parseDotenv(text));
  }
  // Explicit "env" wins over envFile; null removes a variable.
  for (const [k, v] of Object.entries(entry.env)) {
    if (v === null) delete env[k];
    else env[k] = sub(v);
  }
  return {
    name,
    source,
    type: 'stdio',
    command: sub(entry.command),
    args: entry.args.map(sub),
    env,
    // VS Code starts servers in the workspace folder unless told otherwise.
    cwd: entry.cwd !== undefined ? inFolder(sub(entry.cwd), 'cwd') : values.workspaceFolder,
  };
}
