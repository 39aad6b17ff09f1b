/**
 * All configured MCP servers. Nothing starts until the first use (`ensureStarted`, or a tool call), so
 * opening VS Code does not spawn a dozen processes; then all start in parallel. Tool names are made
 * unique across servers (toolNames.ts) and mapped back to server + original name.
 */
import type { Client, ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import type { Logger } from '../../shared/log';
import { TIMEOUTS } from '../../shared/timeouts';
import type { McpServerConfig } from './mcpResolve';
import { ServerConnection, type ServerState } from './mcpServerConnection';
import { exposeTools, type McpTool } from './toolNames';
import type { McpAuthOptions } from './oauth/serverAuth';
import type { EraMemo } from './eraMemo';

export type { McpTool } from './toolNames';
export type { ServerState } from './mcpServerConnection';

export interface ServerStatus {
  name: string;
  source: McpServerConfig['source'];
  type: McpServerConfig['type'];
  state: ServerState;
  /** Why it is in state 'error' or 'needsAuth'. */
  message?: string;
  toolCount: number;
  /** An HTTP server the user can sign in to (the host offers sign-in). */
  canSignIn: boolean;
}

export interface McpConnectionsOptions {
  logger: Logger;
  /** Any change of a server's state or tools, for the UI and for the tool list sent to the model. */
  onDidChange?: () => void;
  clientInfo?: { name: string; version: string };
  /** Limit for each server's handshake and first tool listing. Default: TIMEOUTS.mcpStartMs (the SDK's request default). */
  startTimeoutMs?: number;
  /**
   * Shows a server's form to the user (elicitation). Leave it out while there is no way to show one: servers are
   * then told the client cannot, rather than having every form declined.
   */
  elicit?: (server: string, params: ElicitRequest['params'], signal: AbortSignal) => Promise<ElicitResult>;
  /** A server's prompts or resources changed (its list_changed notification); its tools go through onDidChange. */
  onListChanged?: (server: string, list: 'prompts' | 'resources') => void;
  /** Signing in to HTTP servers (OAuth): where tokens are kept, how the browser is opened. */
  auth?: McpAuthOptions;
  /** What each stdio server spoke last time (see eraMemo.ts). */
  eras?: EraMemo;
}

export class McpConnections {
  private connections: ServerConnection[] = [];
  private exposed: McpTool[] = [];
  /** Set by the first ensureStarted: from then on, servers added or changed by updateConfig start at once. */
  private active = false;
  private disposed = false;

  constructor(
    servers: McpServerConfig[],
    private readonly options: McpConnectionsOptions,
  ) {
    this.connections = servers.map((s) => this.create(s));
    this.refreshTools();
  }

  /** Starts every server that is not running yet (and those that crashed); resolves when all have settled. */
  async ensureStarted(): Promise<void> {
    if (this.disposed) return;
    this.active = true;
    await Promise.all(this.connections.filter((c) => c.state === 'stopped' || c.crashed).map((c) => c.start()));
  }

  get status(): ServerStatus[] {
    return this.connections.map((c) => ({
      name: c.name,
      source: c.config.source,
      type: c.config.type,
      state: c.state,
      message: c.message,
      toolCount: c.tools.length,
      canSignIn: c.canSignIn,
    }));
  }

  /** Every tool of every server, under names unique across servers. */
  get tools(): McpTool[] {
    return this.exposed;
  }

  findTool(name: string): McpTool | undefined {
    return this.exposed.find((t) => t.name === name);
  }

  /** The server's client, (re)starting it when it is not running. Throws an Error with a user-facing message. */
  async client(server: string): Promise<Client> {
    if (this.disposed) throw new Error('MCP connections are closed');
    const connection = this.connections.find((c) => c.name === server);
    if (!connection) throw new Error(`no MCP server named "${server}"`);
    return connection.getClient();
  }

  /** The servers running now (those a prompts or resources listing can ask). */
  get running(): string[] {
    return this.connections.filter((c) => c.state === 'running').map((c) => c.name);
  }

  /** State message of a server, e.g. the stderr line it died with. */
  describe(server: string): string | undefined {
    return this.connections.find((c) => c.name === server)?.message;
  }

  /** A call failed below MCP (network, lost HTTP session): the next use reconnects. */
  markBroken(server: string, reason: string, error?: unknown): void {
    this.connections.find((c) => c.name === server)?.markBroken(reason, error);
  }

  /** The user pressed "Sign in" for a server: the browser step, then a fresh start. Throws with a message for the user. */
  async signIn(server: string, signal?: AbortSignal): Promise<void> {
    const connection = this.connections.find((c) => c.name === server);
    if (!connection) throw new Error(`no MCP server named "${server}"`);
    await connection.signIn(signal);
  }

  /** Forgets a server's sign-in; it shows as needing one on next use. */
  async signOut(server: string): Promise<void> {
    await this.connections.find((c) => c.name === server)?.signOut();
  }

  async restart(name: string): Promise<void> {
    const connection = this.connections.find((c) => c.name === name);
    if (!connection) throw new Error(`no MCP server named "${name}"`);
    await connection.close();
    await connection.start();
  }

  /** Applies a new configuration: unchanged servers keep running; changed ones restart; removed ones stop. */
  async updateConfig(servers: McpServerConfig[]): Promise<void> {
    const old = new Map(this.connections.map((c) => [c.name, c]));
    const closing: Promise<void>[] = [];
    const starting: ServerConnection[] = [];
    this.connections = servers.map((config) => {
      const previous = old.get(config.name);
      old.delete(config.name);
      if (previous && sameConfig(previous.config, config)) return previous;
      const wasUp = previous !== undefined && previous.state !== 'stopped';
      if (previous) closing.push(previous.close());
      const next = this.create(config);
      if (this.active && (wasUp || !previous)) starting.push(next);
      return next;
    });
    for (const removed of old.values()) closing.push(removed.close());
    this.refreshTools();
    this.options.onDidChange?.();
    await Promise.all(closing);
    await Promise.all(starting.map((c) => c.start()));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const all = this.connections;
    this.connections = [];
    this.exposed = [];
    await Promise.all(all.map((c) => c.close()));
  }

  private create(config: McpServerConfig): ServerConnection {
    const connection: ServerConnection = new ServerConnection(config, {
      logger: this.options.logger,
      clientInfo: this.options.clientInfo ?? { name: 'model-chat', version: '0.1.0' },
      startTimeoutMs: this.options.startTimeoutMs ?? TIMEOUTS.mcpStartMs,
      elicit: elicitFor(this.options.elicit, config.name),
      auth: this.options.auth,
      eras: this.options.eras,
      onListChanged: (list) => this.connections.includes(connection) && this.options.onListChanged?.(config.name, list),
      onChange: () => {
        // Events from a connection that updateConfig or dispose already replaced are not news.
        if (!this.connections.includes(connection)) return;
        this.refreshTools();
        this.options.onDidChange?.();
      },
    });
    return connection;
  }

  private refreshTools(): void {
    this.exposed = exposeTools(this.connections.map((c) => ({ server: c.name, tools: c.tools })));
  }
}

function elicitFor(elicit: McpConnectionsOptions['elicit'], server: string) {
  return elicit && ((params: ElicitRequest['params'], signal: AbortSignal) => elicit(server, params, signal));
}

/** Key order does not matter: a settings edit that only reorders "env" is not a change. */
function sameConfig(a: McpServerConfig, b: McpServerConfig): boolean {
  return stableJson(a) === stableJson(b);
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1))) : v,
  );
}
