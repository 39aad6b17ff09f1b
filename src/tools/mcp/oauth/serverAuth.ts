/**
 * The sign-in side of one HTTP MCP server's connection. Connections run with the OAuth provider attached, so
 * saved tokens are sent and refreshed without the user; anything that needs the browser waits for the user's
 * "Sign in" (a request's timeout must not run while someone types a password, and a browser tab must not
 * open unasked). The server's last 401/403 challenge is kept: it says which scope to ask for at sign-in, and
 * whether a failure is about signing in at all. Step-up asks for the union of what was granted and what the
 * server now wants; a server that still refuses after MAX_SIGN_INS sign-ins for one scope is given up on.
 */
import type { FetchLike } from '@modelcontextprotocol/client';
import type { Logger } from '../../../shared/log';
import { TIMEOUTS } from '../../../shared/timeouts';
import { boundedFetch } from '../../../streaming/wire/boundedFetch';
import { httpStatusOf, loadMcpSdk, mcpSdk } from '../mcpSdk';
import type { HttpServerConfig } from '../mcpResolve';
import { McpOAuthProvider, SignInRequiredError, type OpenSignInPage, type SecretStore } from './oauthProvider';

/** What the host gives every HTTP server for signing in. */
export interface McpAuthOptions {
  store: SecretStore;
  openSignInPage: OpenSignInPage;
  clientName: string;
  /** An https URL where this client's metadata document is published, for servers that take one as client_id. */
  clientMetadataUrl?: string;
  timeoutMs?: number;
}

interface Challenge {
  status: number;
  scope?: string;
  error?: string;
  resourceMetadataUrl?: URL;
}

/** An authorization server's answers are small JSON documents. */
export const OAUTH_RESPONSE_LIMITS = { maxBytes: 1024 * 1024, timeoutMs: TIMEOUTS.smallResponseMs };

/** Sign-ins for one scope after which the server may still refuse; then the user is told to ask for access instead. */
export const MAX_SIGN_INS = 2;

export class ServerAuth {
  readonly provider: McpOAuthProvider;
  private challenge?: Challenge;
  private readonly signIns = new Map<string, number>();
  private requested = new Set<string>();
  private readonly serverHref: string;

  constructor(
    private readonly config: HttpServerConfig,
    options: McpAuthOptions,
    private readonly logger: Logger,
  ) {
    this.serverHref = new URL(config.url).href;
    const serverPath = new URL(config.url).pathname;
    this.oauthFetch = boundedFetch(fetch, OAUTH_RESPONSE_LIMITS, (path) => path !== serverPath);
    this.provider = new McpOAuthProvider({
      server: { name: config.name, url: config.url },
      store: options.store,
      openSignInPage: options.openSignInPage,
      logger,
      clientName: options.clientName,
      preRegistered: config.oauth,
      clientMetadataUrl: options.clientMetadataUrl,
      timeoutMs: options.timeoutMs ?? TIMEOUTS.mcpSignInMs,
    });
  }

  /**
   * Every request the SDK makes for signing in (metadata, registration, token) goes through this: read whole with
   * `response.json()`, an endless or stalled body from a broken or hostile server would otherwise hold the sign-in
   * or grow the extension host. The MCP endpoint's own responses (streams, long by nature) are left alone.
   */
  private readonly oauthFetch: FetchLike;

  /**
   * What the transports take for signing in. The SDK's own issuer check (RFC 8414 §3.3) is off because it also
   * refuses the 2025-03-26 fallback (metadata at the server's origin, no protected-resource metadata), where no
   * issuer was ever named; the provider makes the check where one was (saveDiscoveryState).
   */
  get transportOptions(): { authProvider: McpOAuthProvider; fetch: FetchLike; skipIssuerMetadataValidation: boolean } {
    return { authProvider: this.provider, fetch: this.fetch, skipIssuerMetadataValidation: true };
  }

  /** The transport's fetch: notes the server's challenges (and that one was met, when the server answers again). */
  readonly fetch: FetchLike = async (input, init) => {
    const response = await this.oauthFetch(input, init);
    if (new URL(String(input)).href !== this.serverHref) return response;
    if (response.status === 401 || response.status === 403) {
      const { scope, error, resourceMetadataUrl } = mcpSdk().extractWWWAuthenticateParams(response);
      this.challenge = { status: response.status, scope, error, resourceMetadataUrl };
    } else if (response.ok) this.challenge = undefined;
    return response;
  };

  /**
   * What a failed start or call means for signing in: `needsAuth` with what to tell the user, `gaveUp` when
   * signing in again would not help, or undefined when it is not about credentials.
   */
  classify(e: unknown): { state: 'needsAuth' | 'error'; message: string } | undefined {
    const status = httpStatusOf(e);
    const signIn = e instanceof SignInRequiredError || e instanceof mcpSdk().UnauthorizedError || status === 401 || status === 403;
    if (!signIn) return undefined;
    const url = this.config.url;
    const challenge = this.challenge;
    if (challenge?.error === 'insufficient_scope' && challenge.scope && (this.signIns.get(challenge.scope) ?? 0) >= MAX_SIGN_INS) {
      return {
        state: 'error',
        message: `${url} still refuses after signing in with the permissions it asked for (${challenge.scope}): ask its administrator for access`,
      };
    }
    const more =
      challenge?.error === 'insufficient_scope' ? ` It asks for more permissions${challenge.scope ? ` (${challenge.scope})` : ''}.` : '';
    return { state: 'needsAuth', message: `${url} needs you to sign in.${more}` };
  }

  /**
   * The browser step, started by the user: authorizes (discovery, registration, PKCE and the rest are the SDK's
   * auth()), exchanges the code, saves the tokens. Throws with a message for the user when it does not complete.
   */
  async signIn(signal?: AbortSignal): Promise<void> {
    const challenge = this.challenge;
    const scope = this.scopeToAsk(challenge?.scope);
    const serverUrl = this.config.url;
    const fetchFn: FetchLike = (input, init) => this.oauthFetch(input, { ...init, signal: anySignal(init?.signal, signal) });
    this.provider.userStarted = true;
    this.provider.signal = signal;
    try {
      // A fresh authorization, not a refresh: the point may be to get a scope the current tokens lack.
      await this.provider.invalidateCredentials('tokens');
      // Discovered afresh: the server may have moved to another authorization server since (SEP-2352).
      await this.provider.invalidateCredentials('discovery');
      // The SDK reads the client metadata (with its redirect URI) before anything else: the listener's port must be known.
      await this.provider.listen();
      const options = {
        serverUrl,
        scope,
        resourceMetadataUrl: challenge?.resourceMetadataUrl,
        fetchFn,
        skipIssuerMetadataValidation: true,
      };
      const { auth } = await loadMcpSdk();
      let result = await auth(this.provider, options);
      if (result === 'REDIRECT') {
        const authorizationCode = this.provider.takeAuthorizationCode();
        if (!authorizationCode) throw new SignInRequiredError('The sign-in did not return to the editor');
        result = await auth(this.provider, { ...options, authorizationCode, iss: this.provider.answeredIssuer });
      }
      if (result !== 'AUTHORIZED') throw new SignInRequiredError('The sign-in did not complete');
      if (challenge?.scope) this.signIns.set(challenge.scope, (this.signIns.get(challenge.scope) ?? 0) + 1);
      for (const s of scope?.split(' ') ?? []) this.requested.add(s);
      this.challenge = undefined;
      this.logger.info(`MCP server "${this.config.name}": sign-in complete`);
    } finally {
      this.provider.userStarted = false;
      this.provider.signal = undefined;
      this.provider.release();
    }
  }

  async signOut(): Promise<void> {
    this.signIns.clear();
    this.requested = new Set();
    this.challenge = undefined;
    await this.provider.signOut();
  }

  /** A connection attempt is over: the loopback listener an automatic auth() may have opened is closed. */
  release(): void {
    this.provider.release();
  }

  /** SEP-2350: step-up keeps what was granted and adds what the server asks for now. */
  private scopeToAsk(challenged: string | undefined): string | undefined {
    if (!challenged) return this.requested.size ? [...this.requested].join(' ') : undefined;
    return [...new Set([...this.requested, ...challenged.split(' ')])].join(' ');
  }
}

function anySignal(a: AbortSignal | null | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  const signals = [a, b].filter((s): s is AbortSignal => !!s);
  return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
}
