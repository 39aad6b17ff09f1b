/**
 * Signing in to one HTTP MCP server (MCP authorization: OAuth 2.1). The SDK's `auth()` does the protocol:
 * protected-resource and authorization-server discovery with the 2025-03-26 fallbacks, client ID metadata
 * documents, dynamic registration, PKCE, the `resource` parameter, scope selection, refresh, step-up. This is
 * the part the SDK leaves to the application: where client registrations and tokens are kept (a secret store,
 * per server name and URL), the browser step (a loopback redirect; opening the browser is the host's callback)
 * and the checks on the answer that only the receiver of the redirect can make (state, RFC 9207 `iss`).
 */
import { randomBytes } from 'node:crypto';
import type {
  DpopSession,
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  OAuthTokens,
} from '@modelcontextprotocol/client';
import type { Logger } from '../../../shared/log';
import { loadMcpSdk } from '../mcpSdk';
import { dpopKeyFrom, newDpopKey, type SavedDpopKey } from './dpopKey';
import { listenForRedirect, REDIRECT_PATH, type LoopbackRedirect } from './loopbackRedirect';

/** The shape of VS Code's SecretStorage, so the host can pass `context.secrets` itself. */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

export interface SignInRequest {
  server: string;
  /** The authorization server's page; its redirect_uri is the loopback listener. */
  url: URL;
  /** The user pressed "Sign in" for this server; otherwise the host asks before it opens anything. */
  userStarted: boolean;
}

/** Opens the sign-in page in the browser. False when the user declined (nothing was opened). */
export type OpenSignInPage = (request: SignInRequest) => Promise<boolean>;

/** A client registered out of band for this server (`"oauth": { "clientId", "clientSecret" }` in the config). */
export interface PreRegisteredClient {
  clientId: string;
  clientSecret?: string;
}

export interface OAuthProviderOptions {
  server: { name: string; url: string };
  store: SecretStore;
  openSignInPage: OpenSignInPage;
  logger: Logger;
  clientName: string;
  preRegistered?: PreRegisteredClient;
  /** An https URL where this client's metadata document is published (used as client_id where servers accept one). */
  clientMetadataUrl?: string;
  /** Limit for the browser step. */
  timeoutMs: number;
}

/** An editor on the user's machine, redirecting to loopback (OpenID Connect Registration §2; SEP-837); not in the SDK's type. */
const NATIVE_APPLICATION = { application_type: 'native' };

/** Signing in needs the user and none is there to ask, or the user said no. */
export class SignInRequiredError extends Error {
  constructor(message = 'Sign-in is needed') {
    super(message);
    this.name = 'SignInRequiredError';
  }
}

interface Saved {
  client?: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
  /** The loopback port of the last sign-in: a registration made with that redirect URI keeps matching. */
  port?: number;
  /** The key DPoP-bound tokens are bound to (only authorization servers that support DPoP bind them). */
  dpopKey?: SavedDpopKey;
}

/** The secret's key: per server name and URL, so a server whose URL changed never gets the old server's tokens. */
export function oauthSecretKey(server: { name: string; url: string }): string {
  return `modelChat.mcp.oauth/${encodeURIComponent(server.name)}/${server.url}`;
}

export class McpOAuthProvider implements OAuthClientProvider {
  /** Set by the host when the user pressed "Sign in"; then the browser opens without asking again. */
  userStarted = false;
  /** The user's Cancel for the browser step under way. */
  signal?: AbortSignal;
  /** The `iss` of the last sign-in answer (RFC 9207), which the SDK checks again when it exchanges the code. */
  answeredIssuer?: string;
  private saved?: Saved;
  private redirect?: LoopbackRedirect;
  private verifier?: string;
  private code?: string;
  private expectedState?: string;
  private discovery?: OAuthDiscoveryState;
  private dpopSession?: Promise<DpopSession>;

  constructor(private readonly options: OAuthProviderOptions) {}

  get redirectUrl(): string {
    return this.redirect?.url ?? `http://127.0.0.1${REDIRECT_PATH}`;
  }

  get clientMetadataUrl(): string | undefined {
    return this.options.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.options.clientName,
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...NATIVE_APPLICATION,
    };
  }

  state(): string {
    this.expectedState = randomBytes(32).toString('base64url');
    return this.expectedState;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const saved = await this.load();
    // Without a refresh token this auth() ends in the browser, which only the user starts: stop before a
    // registration nobody asked for. (The sign-in listens before auth() reads clientMetadata, so the client is
    // registered with the redirect URI the browser will come back to.)
    if (!saved.tokens?.refresh_token) {
      if (!this.userStarted) throw new SignInRequiredError();
      await this.listen();
    }
    const pre = this.options.preRegistered;
    if (pre) return { client_id: pre.clientId, client_secret: pre.clientSecret, redirect_uris: [this.redirectUrl] };
    return saved.client;
  }

  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    if (this.options.preRegistered) return;
    await this.update({ client: info, port: this.redirect?.port ?? this.saved?.port });
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    return (await this.load()).tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    await this.update({ tokens, port: this.redirect?.port ?? this.saved?.port });
    this.options.logger.info(`MCP server "${this.options.server.name}": signed in${tokens.scope ? ` (scope: ${tokens.scope})` : ''}`);
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error('No PKCE code verifier: the sign-in was not started here');
    return this.verifier;
  }

  /**
   * RFC 8414 §3.3: metadata whose issuer is not the authorization server it was fetched for could send the
   * user's code to someone else. Thrown here, auth() stops before it uses any of its endpoints. Only for an
   * issuer named by the server's protected-resource metadata: without it (the 2025-03-26 fallback) the server's
   * origin stands in for an issuer nobody named.
   */
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    const issuer = state.authorizationServerMetadata?.issuer;
    if (state.resourceMetadata && issuer !== undefined && trimSlash(issuer) !== trimSlash(state.authorizationServerUrl)) {
      throw new Error(`The authorization server ${state.authorizationServerUrl} published metadata for another issuer (${issuer})`);
    }
    this.discovery = state;
  }

  /**
   * DPoP (RFC 9449): the SDK signs a proof into every token request; an authorization server that supports DPoP
   * then issues `token_type: DPoP` tokens, which the transports present with a fresh proof per request. Others
   * ignore the header and issue Bearer tokens, which go out as before.
   */
  dpop(): Promise<DpopSession> {
    this.dpopSession ??= this.loadDpopSession().catch((e: unknown) => {
      this.dpopSession = undefined;
      throw e;
    });
    return this.dpopSession;
  }

  /** The callback leg's auth() checks the code goes to the authorization server the first leg discovered (SEP-2352). */
  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
    if (scope === 'all') await this.update({ client: undefined, tokens: undefined });
    if (scope === 'client') await this.update({ client: undefined });
    if (scope === 'tokens') await this.update({ tokens: undefined });
  }

  /** Opens the sign-in page and waits for the browser to come back to the loopback listener with a code. */
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    // Inside a request (a start, a tool call) nobody asked for a browser tab: the server shows "Sign in" instead.
    if (!this.userStarted) throw new SignInRequiredError();
    const redirect = await this.listen();
    authorizationUrl.searchParams.set('redirect_uri', redirect.url);
    const state = authorizationUrl.searchParams.get('state') ?? this.expectedState;
    if (!state) throw new Error('The authorization request has no state');
    const answer = redirect.wait(state, this.signal);
    answer.catch(() => {}); // rejected by the close below when the user declines
    const opened = await this.options.openSignInPage({
      server: this.options.server.name,
      url: authorizationUrl,
      userStarted: this.userStarted,
    });
    if (!opened) {
      redirect.close();
      throw new SignInRequiredError(`Sign-in to MCP server "${this.options.server.name}" was not started`);
    }
    const query = await answer;
    this.code = this.checkAnswer(query);
    this.answeredIssuer = query.get('iss') ?? undefined;
  }

  /** The code from the browser, once: the connection exchanges it (transport.finishAuth) and reconnects. */
  takeAuthorizationCode(): string | undefined {
    const code = this.code;
    this.code = undefined;
    return code;
  }

  /** Closes the loopback listener when a connection attempt is over (an auth() that refreshed never needed it). */
  release(): void {
    this.redirect?.close();
    this.redirect = undefined;
  }

  /** Forgets the server's registration, tokens and DPoP key (the user signed out). */
  async signOut(): Promise<void> {
    this.release();
    this.saved = {};
    this.verifier = undefined;
    this.dpopSession = undefined;
    await this.options.store.delete(oauthSecretKey(this.options.server));
  }

  /** RFC 6749 §4.1.2.1 errors, and RFC 9207: the `iss` of the answer is compared as a string, never normalized. */
  private checkAnswer(query: URLSearchParams): string {
    const error = query.get('error');
    if (error) throw new SignInRequiredError(`The sign-in was refused: ${query.get('error_description') ?? error}`);
    const metadata = this.discovery?.authorizationServerMetadata as
      { issuer?: string; authorization_response_iss_parameter_supported?: boolean } | undefined;
    const iss = query.get('iss');
    if (iss !== null && iss !== metadata?.issuer) throw new Error(`The sign-in answer came from another issuer (${iss})`);
    if (iss === null && metadata?.authorization_response_iss_parameter_supported === true) {
      throw new Error('The sign-in answer lacks the issuer its authorization server promised (RFC 9207)');
    }
    const code = query.get('code');
    if (!code) throw new Error('The sign-in answer has no authorization code');
    return code;
  }

  /** Opens the loopback listener for a sign-in the user started (its URL goes into the client's metadata). */
  async listen(): Promise<LoopbackRedirect> {
    if (this.redirect && !this.redirect.closed) return this.redirect;
    const saved = await this.load();
    const redirect = await listenForRedirect({ preferredPort: saved.port, timeoutMs: this.options.timeoutMs });
    this.redirect = redirect;
    return redirect;
  }

  private async loadDpopSession(): Promise<DpopSession> {
    const { DpopSession } = await loadMcpSdk();
    const saved = (await this.load()).dpopKey;
    if (saved) return DpopSession.create({ keyPair: await dpopKeyFrom(saved) });
    const fresh = await newDpopKey();
    await this.update({ dpopKey: fresh.saved });
    return DpopSession.create({ keyPair: fresh.keyPair });
  }

  private async load(): Promise<Saved> {
    if (this.saved) return this.saved;
    const raw = await this.options.store.get(oauthSecretKey(this.options.server));
    try {
      this.saved = raw ? (JSON.parse(raw) as Saved) : {};
    } catch {
      this.options.logger.warn(`MCP server "${this.options.server.name}": its saved sign-in could not be read; signing in again`);
      this.saved = {};
    }
    return this.saved;
  }

  private async update(change: Partial<Saved>): Promise<void> {
    const next = { ...(await this.load()), ...change };
    this.saved = next;
    await this.options.store.store(oauthSecretKey(this.options.server), JSON.stringify(next));
  }
}

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
