/**
 * Turns checked config entries into servers ready to start: variables replaced, inputs asked for,
 * envFile read. Never throws; a server that cannot be resolved becomes a problem and is left out.
 */
import { readBoundedFile } from '../../shared/boundedFile';
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve as resolvePath, sep } from 'node:path';
import { mayStart, readMcpConfig, type McpConfigProblem, type McpInput, type McpServerEntry, type McpServerSource } from './mcpConfig';
import type { InputOwner } from './mcpInputs';
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
  oauth?: { clientId: string; clientSecret?: string };
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
   * Asks for an input's value for one server; undefined when the user cancels. Called once per input id per
   * server, one at a time: an answer belongs to the server it was given for and is never reused for another.
   * The host remembers answers per server (passwords in SecretStorage) so users are asked once.
   */
  resolveInput(input: McpInput, server: InputOwner): Promise<string | undefined>;
  /** Reads an envFile; by default only a small regular file, inside the workspace (or, for a server from settings, the user's home). */
  readFile?: (path: string, source: McpServerSource) => Promise<string>;
}

export interface ResolvedServers {
  servers: McpServerConfig[];
  /** Workspace servers not started because the workspace is not trusted. */
  blocked: McpServerEntry[];
  problems: McpConfigProblem[];
}

export async function resolveMcpServers(entries: McpServerEntry[], options: ResolveOptions): Promise<ResolvedServers> {
  const result: ResolvedServers = { servers: [], blocked: [], problems: [] };
  for (const entry of entries) {
    if (!mayStart(entry, options.trusted)) {
      result.blocked.push(entry);
      continue;
    }
    try {
      refuseWorkspacePaths(entry, options);
      const inputs = await askInputs(entry, options);
      const values: VariableValues = {
        workspaceFolder: options.workspaceFolder,
        userHome: options.userHome,
        env: options.env,
        inputs,
        pathSeparator: sep,
      };
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
  return [entry.url, ...Object.values(entry.headers), entry.oauth?.clientId ?? '', entry.oauth?.clientSecret ?? ''];
}

async function askInputs(entry: McpServerEntry, options: ResolveOptions): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const id of new Set(stringsOf(entry).flatMap(inputIdsIn))) {
    // An input used in settings has nowhere to be declared: ask anyway, and treat the value as a secret
    // (the safe side: it is often a token).
    const input = options.inputs.find((i) => i.id === id) ?? { type: 'promptString', id, description: id, password: true };
    const value = await options.resolveInput(input, { name: entry.name, source: entry.source }).catch(() => undefined);
    if (value === undefined) throw new Error(`input "${id}" was not provided`);
    values.set(id, value);
  }
  return values;
}

/**
 * In Restricted Mode the user's own servers still run, but nothing of the untrusted folder may shape how
 * they start: a path into it in their command, arguments, env or cwd would run or load the repository's files.
 */
function refuseWorkspacePaths(entry: McpServerEntry, options: ResolveOptions): void {
  if (options.trusted || entry.source !== 'settings' || entry.type !== 'stdio') return;
  if (stringsOf(entry).some((s) => /\$\{workspaceFolder(Basename)?\}/.test(s))) {
    throw new Error('uses ${workspaceFolder}, which is not available to MCP servers in Restricted Mode (the workspace is not trusted)');
  }
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
    const oauth = entry.oauth && {
      clientId: sub(entry.oauth.clientId),
      clientSecret: entry.oauth.clientSecret && sub(entry.oauth.clientSecret),
    };
    return { name, source, type: entry.type, url, headers, ...(oauth && { oauth }) };
  }
  // The user's servers live in the user's home: started in the workspace, npx/uvx would honour the
  // repository's .npmrc or uv.toml, and on Windows a npx.cmd in its root would run instead of the real one.
  const base = source === 'settings' ? values.userHome : values.workspaceFolder;
  const inFolder = (path: string, field: string) => {
    if (isAbsolute(path)) return path;
    if (!base) throw new Error(`"${field}" is a relative path (${path}) but no workspace folder is open`);
    return resolvePath(base, path);
  };
  const env: Record<string, string> = {};
  if (entry.envFile !== undefined) {
    const path = inFolder(sub(entry.envFile), 'envFile');
    if (source === 'settings' && !options.trusted && isWithin(path, values.workspaceFolder)) {
      throw new Error(`envFile ${path} is inside the workspace, which is not read in Restricted Mode (the workspace is not trusted)`);
    }
    let text: string;
    try {
      text = await (options.readFile ?? readEnvFile(options))(path, source);
    } catch (e) {
      throw new Error(`cannot read envFile ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
    Object.assign(env, parseDotenv(text));
  }
  // Explicit "env" wins over envFile; null removes a variable.
  for (const [k, v] of Object.entries(entry.env)) {
    if (v === null) delete env[k];
    else env[k] = sub(v);
  }
  const cwdOf = () => {
    const cwd = entry.cwd !== undefined ? inFolder(sub(entry.cwd), 'cwd') : base;
    if (source === 'settings' && !options.trusted && cwd !== undefined && isWithin(cwd, values.workspaceFolder)) {
      throw new Error(
        `cwd ${cwd} is inside the workspace, where MCP servers do not start in Restricted Mode (the workspace is not trusted)`,
      );
    }
    return cwd;
  };
  return {
    name,
    source,
    type: 'stdio',
    command: sub(entry.command),
    args: entry.args.map(sub),
    env,
    // A workspace's servers start in its folder, as VS Code starts them; the user's in the home.
    cwd: cwdOf(),
  };
}

/** Whether `path` is `folder` or below it, also through symlinks on either side. */
function isWithin(path: string, folder: string | undefined): boolean {
  if (!folder) return false;
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolvePath(p);
    }
  };
  const inside = (p: string, f: string) => {
    const rel = relative(f, p);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  return inside(resolvePath(path), resolvePath(folder)) || inside(real(path), real(folder));
}

/** An envFile holds a few variables; anything bigger is not one. */
const MAX_ENV_FILE_BYTES = 1024 * 1024;

/**
 * A workspace's mcp.json may only name an envFile inside the workspace (else a repository could send
 * ~/.aws/credentials to a server it chose); the user's own settings may also name one in their home.
 */
function readEnvFile(options: ResolveOptions): (path: string, source: McpServerSource) => Promise<string> {
  return async (path, source) => {
    // Restricted Mode: nothing in the untrusted folder may shape how the user's own servers start.
    const folders = [
      source === 'workspace' || options.trusted ? options.workspaceFolder : undefined,
      source === 'settings' ? options.userHome : undefined,
    ].filter((f): f is string => !!f);
    const read = await readBoundedFile(path, { maxBytes: MAX_ENV_FILE_BYTES, within: folders });
    if (!read.ok)
      throw new Error(
        read.code === 'outside'
          ? `it is outside the ${source === 'settings' ? (options.trusted ? 'workspace and the home folder' : 'home folder') : 'workspace'}`
          : read.reason,
      );
    return new TextDecoder().decode(read.bytes);
  };
}
