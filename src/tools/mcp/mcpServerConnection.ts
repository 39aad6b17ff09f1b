/**
 * One MCP server: starts it (stdio child or HTTP session), keeps its tool list current, notices when it
 * dies, and closes it. `start()` never throws; failures become state 'error' (or 'needsAuth' when an HTTP
 * server wants credentials) with a message for the user.
 */
import type { Client, ElicitRequest, ElicitResult, Tool, VersionNegotiationOptions } from '@modelcontextprotocol/client';
import { httpStatusOf, isProtocolError, isSdkError, loadMcpSdk, mcpSdk } from './mcpSdk';
import type { EraMemo } from './eraMemo';
import { causes } from '../../shared/errors';
import { cappedMcpFetch } from './mcpHttpFetch';
import type { Logger } from '../../shared/log';
import type { HttpServerConfig, McpServerConfig, StdioServerConfig } from './mcpResolve';
import { SignInRequiredError } from './oauth/oauthProvider';
import { ServerAuth, type McpAuthOptions } from './oauth/serverAuth';

export type ServerState = 'stopped' | 'starting' | 'running' | 'error' | 'needsAuth';

/**
 * Asks the user to fill in a server's form (`elicitation/create`). The answer is what the user did: accept with
 * the values (fields left out get the schema's defaults), decline, or cancel. The signal aborts when the request
 * that caused it is cancelled or the connection closes.
 */
export type ElicitationHandler = (params: ElicitRequest['params'], signal: AbortSignal) => Promise<ElicitResult>;

export interface ConnectionDeps {
  logger: Logger;
  clientInfo: { name: string; version: string };
  /** Limit for the handshake and the first tools/list. */
  startTimeoutMs: number;
  /** State or tool list changed. */
  onChange(): void;
  /**
   * Shows a server's form to the user. Without one the client does not declare the elicitation capability, so
   * servers do not offer what needs it (a form nobody can see could only ever be declined).
   */
  elicit?: ElicitationHandler;
  /** Signing in to HTTP servers (OAuth). Without it a server that wants credentials only shows as needing them. */
  auth?: McpAuthOptions;
  /** The server said its prompts or resources changed (notifications/…/list_changed). */
  onListChanged?(list: 'prompts' | 'resources'): void;
  /** Stdio servers known to speak only the 2025 handshake start without the era probe's second process. */
  eras?: EraMemo;
}

const STDERR_TAIL = 5;
/**
 * A stdio server that says nothing to the 2026 `server/discover` probe within this is a 2025-era one (some never
 * answer a request before `initialize`); the SDK then starts it again for the `initialize` handshake.
 */
const STDIO_PROBE_MS = 10_000;
const MAX_TOOL_PAGES = 100;

export class ServerConnection {
  state: ServerState = 'stopped';
  message?: string;
  /** The server's tools (those callable with tools/call); kept after a crash so the model can still ask for them. */
  tools: Tool[] = [];
  /** It stopped by itself after running, rather than failing to start: the next use starts it again. */
  crashed = false;
  private client?: Client;
  private starting?: Promise<void>;
  /** Bumped by every start and close, so late events from an old client are ignored. */
  private generation = 0;
  private stderrTail: string[] = [];
  /** Bumped by every tool re-listing, so an older listing that finishes late does not overwrite a newer one. */
  private listing = 0;
  private signInState?: ServerAuth;

  constructor(
    readonly config: McpServerConfig,
    private readonly deps: ConnectionDeps,
  ) {}

  get name(): string {
    return this.config.name;
  }

  start(): Promise<void> {
    if (!this.starting) {
      const starting = this.connect().finally(() => {
        if (this.starting === starting) this.starting = undefined;
      });
      this.starting = starting;
    }
    return this.starting;
  }

  /** The running client, starting the server first when needed. Throws an Error with a user-facing message. */
  async getClient(): Promise<Client> {
    if (this.state !== 'running') await this.start();
    if (this.state === 'needsAuth') throw new Error(`MCP server "${this.name}" needs you to sign in: ${this.message}`);
    if (this.state !== 'running' || !this.client)
      throw new Error(`MCP server "${this.name}" is not available: ${this.message ?? this.state}`);
    return this.client;
  }

  /**
   * A call failed in a way that says the connection is gone (HTTP session lost, network down, credentials no
   * longer good enough): reconnect next time, or wait for the user to sign in.
   */
  markBroken(reason: string, error?: unknown): void {
    if (this.state !== 'running') return;
    const client = this.client;
    this.generation++;
    this.client = undefined;
    this.crashed = true;
    const auth = error === undefined ? undefined : this.auth?.classify(error);
    if (auth) this.setState(auth.state, auth.message);
    else this.setState('error', `connection lost (${reason}); it reconnects on next use`);
    void client?.close().catch(() => {});
  }

  /** Whether signing in applies to this server (HTTP, and the host can show a browser). */
  get canSignIn(): boolean {
    return this.auth !== undefined;
  }

  /** The user pressed "Sign in": the browser step, then a fresh start with the new tokens. Throws with a message for the user. */
  async signIn(signal?: AbortSignal): Promise<void> {
    const auth = this.auth;
    if (!auth) throw new Error(`MCP server "${this.name}" does not use sign-in`);
    await loadMcpSdk();
    await auth.signIn(signal);
    await this.close();
    await this.start();
  }

  /** Forgets the server's tokens and registration, and disconnects. */
  async signOut(): Promise<void> {
    await this.close();
    await this.auth?.signOut();
  }

  private get auth(): ServerAuth | undefined {
    if (this.config.type === 'stdio' || !this.deps.auth) return undefined;
    return (this.signInState ??= new ServerAuth(this.config, this.deps.auth, this.deps.logger));
  }

  async close(): Promise<void> {
    const client = this.client;
    this.generation++;
    this.client = undefined;
    this.starting = undefined; // a start in flight sees the new generation and gives up
    this.crashed = false;
    if (this.state !== 'stopped') this.setState('stopped');
    await client?.close().catch((e) => this.deps.logger.warn(`MCP server "${this.name}": error while closing: ${String(e)}`));
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.crashed = false;
    this.stderrTail = [];
    this.setState('starting');
    try {
      await loadMcpSdk();
      const client = this.config.type === 'stdio' ? await this.connectStdio(this.config, gen) : await this.connectHttp(this.config, gen);
      if (gen !== this.generation) return; // closed while starting; close() already closed this.client
      deliverNotificationsFirst(client);
      const tools = await this.listAllTools(client);
      if (gen !== this.generation) return;
      this.tools = tools;
      this.deps.logger.info(`MCP server "${this.name}" running with ${tools.length} tools`);
      this.setState('running');
    } catch (e) {
      if (gen !== this.generation) return;
      const client = this.client;
      this.client = undefined;
      void client?.close().catch(() => {});
      const auth = this.auth ? this.auth.classify(e) : signInWithoutAuth(e, this.url());
      if (auth) {
        this.setState(auth.state, auth.message);
        this.deps.logger.warn(`MCP server "${this.name}": ${this.message}`);
        return;
      }
      this.setState('error', this.describeStartFailure(e));
      this.deps.logger.error(`MCP server "${this.name}" failed to start: ${this.message}`);
    } finally {
      this.auth?.release();
    }
  }

  private newClient(gen: number): Client {
    const elicit = this.deps.elicit;
    // The user never picks a protocol era: 'auto' asks with the 2026-07-28 `server/discover` first and falls back
    // to the 2025 `initialize` handshake for a server that does not know it (most servers in use today).
    const versionNegotiation: VersionNegotiationOptions = {
      mode: 'auto',
      probe: { timeoutMs: this.config.type === 'stdio' ? Math.min(STDIO_PROBE_MS, this.deps.startTimeoutMs) : this.deps.startTimeoutMs },
    };
    const client: Client = new (mcpSdk().Client)(this.deps.clientInfo, {
      versionNegotiation,
      // applyDefaults: the SDK fills in the schema's defaults for fields the answer leaves out, as a form
      // shown with its defaults and submitted untouched would.
      // url: a page the server wants the user to visit (sign-in, payment), opened only once the user agrees.
      capabilities: elicit ? { elicitation: { form: { applyDefaults: true }, url: {} } } : {},
      listChanged: {
        tools: {
          // The SDK's own refresh fetches only the first page; this one fetches them all. The SDK still
          // waits until 300 ms after the last tools/list_changed before calling.
          autoRefresh: false,
          debounceMs: 300,
          onChanged: () => void this.relistTools(client, gen),
        },
        // Prompts and resources are listed when asked for (the / menu, the + picker): a change only says so.
        prompts: { autoRefresh: false, debounceMs: 300, onChanged: () => gen === this.generation && this.deps.onListChanged?.('prompts') },
        resources: {
          autoRefresh: false,
          debounceMs: 300,
          onChanged: () => gen === this.generation && this.deps.onListChanged?.('resources'),
        },
      },
    });
    // A 2025-era server sends elicitation/create itself; a 2026-07-28 one answers the call with an input-required
    // result, which the SDK fulfils through this same handler before it retries the call.
    if (elicit) client.setRequestHandler('elicitation/create', (request, ctx) => elicit(request.params, ctx.mcpReq.signal));
    // Protocol-level oddities (an unparsable line, a failed send) are worth a log line, no more. Failures while
    // starting are reported by connect() itself; a late progress for a call already cancelled or timed out is
    // expected (servers keep working a moment after a cancel), so not even that.
    client.onerror = (error) => {
      if (gen !== this.generation || this.state !== 'running' || /progress notification for an unknown token/.test(error.message)) return;
      this.deps.logger.warn(`MCP server "${this.name}": ${error.message}`);
    };
    client.onclose = () => {
      if (gen !== this.generation || this.state !== 'running') return; // our own close, or a failed start
      this.generation++;
      this.client = undefined;
      this.crashed = true;
      const why = this.stderrTail.at(-1);
      this.setState('error', `exited unexpectedly${why ? ` (${why})` : ''}; it restarts on next use`);
      this.deps.logger.error(`MCP server "${this.name}" ${this.message}`);
    };
    // Set before connecting so that close() during a slow start also closes this client.
    this.client = client;
    return client;
  }

  private async connectStdio(config: StdioServerConfig, gen: number): Promise<Client> {
    const eras = this.deps.eras;
    const legacy = eras?.knownLegacy(config) ?? false;
    try {
      const client = await this.startStdio(config, gen, legacy);
      eras?.remember(config, client.getProtocolEra());
      return client;
    } catch (e) {
      // A server upgraded to the 2026 revision only may refuse `initialize`: forget the verdict and probe once.
      if (!legacy || !isProtocolError(e) || gen !== this.generation) throw e;
      this.deps.logger.info(`MCP server "${this.name}" refused the 2025 handshake it used to take; asking which revision it speaks`);
      eras?.remember(config, undefined);
      const client = await this.startStdio(config, gen, false);
      eras?.remember(config, client.getProtocolEra());
      return client;
    }
  }

  private async startStdio(config: StdioServerConfig, gen: number, knownLegacy: boolean): Promise<Client> {
    const client = this.newClient(gen);
    const transport = new (mcpSdk().StdioClientTransport)({
      command: config.command,
      args: config.args,
      env: config.env,
      cwd: config.cwd,
      stderr: 'pipe',
    });
    let partial = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.stderrLine(line);
    });
    transport.stderr?.on('end', () => partial.trim() && this.stderrLine(partial));
    await client.connect(transport, { timeout: this.deps.startTimeoutMs, ...(knownLegacy ? { prior: { kind: 'legacy' as const } } : {}) });
    return client;
  }

  /**
   * Streamable HTTP first; a 4xx (the spec's backwards-compatibility section: "e.g. 404 or 405") means an
   * older server that speaks only HTTP+SSE, which needs a fresh Client. Except 401 and 403: that is a server
   * that wants credentials (handled before we get here), and its SSE endpoint would refuse them just the same
   * (the user would then read about SSE, not about signing in).
   */
  private async connectHttp(config: HttpServerConfig, gen: number): Promise<Client> {
    const url = new URL(config.url);
    const requestInit = { headers: config.headers };
    // Saved tokens are sent and refreshed by the SDK; what needs the browser waits for the user (ServerAuth).
    // Under it all, every response capped (and Stop reaching the network): cappedMcpFetch.
    const authOptions = this.auth?.transportOptions;
    const auth = { ...authOptions, fetch: cappedMcpFetch(authOptions?.fetch ?? ((input, init) => fetch(input, init)), this.name) };
    try {
      const client = this.newClient(gen);
      await client.connect(new (mcpSdk().StreamableHTTPClientTransport)(url, { requestInit, ...auth }), {
        timeout: this.deps.startTimeoutMs,
      });
      return client;
    } catch (e) {
      const status = httpStatusOf(e);
      if (status === undefined || status < 400 || status >= 500 || status === 401 || status === 403) throw e;
      if (gen !== this.generation) throw e;
      this.deps.logger.info(`MCP server "${this.name}": Streamable HTTP answered ${status}, trying the older SSE transport`);
      const client = this.newClient(gen);
      await client.connect(new (mcpSdk().SSEClientTransport)(url, { requestInit, ...auth }), { timeout: this.deps.startTimeoutMs });
      return client;
    }
  }

  private async listAllTools(client: Client): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const result = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.deps.startTimeoutMs });
      tools.push(...result.tools);
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    return this.callable(tools);
  }

  private async relistTools(client: Client, gen: number): Promise<void> {
    const listing = ++this.listing;
    try {
      const tools = await this.listAllTools(client);
      if (gen !== this.generation || listing !== this.listing) return;
      this.tools = tools;
      this.deps.logger.info(`MCP server "${this.name}" changed its tools (${tools.length} now)`);
      this.deps.onChange();
    } catch (e) {
      if (gen !== this.generation) return;
      this.deps.logger.warn(`MCP server "${this.name}": could not refresh its tools: ${(e as Error).message}`);
    }
  }

  /** Tools that insist on the experimental task API cannot go through callTool (the SDK refuses them). */
  private callable(tools: Tool[]): Tool[] {
    return tools.filter((t) => t.execution?.taskSupport !== 'required');
  }

  private stderrLine(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    this.deps.logger.info(`[${this.name}] ${line}`);
  }

  private describeStartFailure(e: unknown): string {
    const err = e as NodeJS.ErrnoException & { code?: unknown };
    const last = this.stderrTail.at(-1);
    if (this.config.type === 'stdio' && err.code === 'ENOENT') return `command not found: ${this.config.command}`;
    if (isSdkError(e, 'ConnectionClosed')) return `exited during startup${last ? `: ${last}` : ''}`;
    if (isSdkError(e, 'RequestTimeout')) return `did not answer within ${Math.round(this.deps.startTimeoutMs / 1000)} s`;
    if (httpStatusOf(e) !== undefined) return `${this.url()} answered: ${err.message}`;
    // The SDK's own code (the version probe failed) comes first in the chain; the network's is below it.
    if ([...causes(e)].some((c) => (c as { code?: unknown }).code === 'ECONNREFUSED')) return `nothing is listening at ${this.url()}`;
    return err.message ?? String(e);
  }

  private url(): string {
    return this.config.type === 'stdio' ? this.config.command : this.config.url;
  }

  private setState(state: ServerState, message?: string): void {
    // Until the user signs in (again) its tools cannot run: offering them would only have the model call in vain.
    if (state === 'needsAuth') this.tools = [];
    this.state = state;
    this.message = message;
    this.deps.onChange();
  }
}

/** The statuses with which an HTTP server says who is asking matters (RFC 9110; MCP authorization). */
export function isSignInStatus(status: number): boolean {
  return status === 401 || status === 403;
}

/** A failure that signing in may cure: an HTTP 401/403, or the SDK's auth flow stopped to wait for the user. */
export function isSignInFailure(e: unknown): boolean {
  const status = httpStatusOf(e);
  return (
    (status !== undefined && isSignInStatus(status)) ||
    e instanceof SignInRequiredError ||
    (e as Error | undefined)?.name === 'UnauthorizedError'
  );
}

/** Where the host offers no sign-in (tests, tools without a browser): the server's token goes in its headers. */
function signInWithoutAuth(e: unknown, url: string): { state: 'needsAuth'; message: string } | undefined {
  const status = httpStatusOf(e);
  if (status === undefined || !isSignInStatus(status)) return undefined;
  return {
    state: 'needsAuth',
    message: `${url} answered ${status === 401 ? '401 Unauthorized' : '403 Forbidden'}: it needs you to sign in (or its token in "headers").`,
  };
}

/**
 * The SDK (1.32, and 2.4 still) runs notification handlers a microtask after a message arrives but handles
 * responses at once, and forgets a request's progress handler when its response comes. So when a tool's last progress
 * and its result arrive in one read (always over SSE, often over stdio when calls finish together), that
 * progress was dropped. Delaying responses by one microtask puts them back behind the notifications that
 * came before them, in arrival order.
 */
function deliverNotificationsFirst(client: Client): void {
  const transport = client.transport;
  const deliver = transport?.onmessage;
  if (!transport || !deliver) return;
  transport.onmessage = (message, extra) => {
    if ('id' in message && !('method' in message)) queueMicrotask(() => deliver(message, extra));
    else deliver(message, extra);
  };
}
