import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listenForRedirect } from '../../src/tools/mcp/oauth/loopbackRedirect';
import {
  McpOAuthProvider,
  oauthSecretKey,
  SignInRequiredError,
  type SecretStore,
  type SignInRequest,
} from '../../src/tools/mcp/oauth/oauthProvider';
import { silentLogger } from '../../src/shared/log';

function memoryStore(): SecretStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get: async (k) => data.get(k),
    store: async (k, v) => void data.set(k, v),
    delete: async (k) => void data.delete(k),
  };
}

/** A browser that lands on the redirect URI with `query` (what the authorization server would append). */
function browserAnswering(query: Record<string, string>, opened: SignInRequest[] = []) {
  return async (request: SignInRequest) => {
    opened.push(request);
    const back = new URL(request.url.searchParams.get('redirect_uri')!);
    back.searchParams.set('state', request.url.searchParams.get('state')!);
    for (const [k, v] of Object.entries(query)) back.searchParams.set(k, v);
    const response = await fetch(back);
    await response.text();
    return true;
  };
}

function provider(options: Partial<ConstructorParameters<typeof McpOAuthProvider>[0]> = {}) {
  return new McpOAuthProvider({
    server: { name: 'remote', url: 'https://mcp.example/mcp' },
    store: memoryStore(),
    openSignInPage: async () => true,
    logger: silentLogger,
    clientName: 'test',
    timeoutMs: 10_000,
    ...options,
  });
}

function authorizationUrl(p: McpOAuthProvider): URL {
  const url = new URL('https://as.example/authorize?response_type=code');
  url.searchParams.set('state', p.state());
  url.searchParams.set('redirect_uri', p.redirectUrl);
  return url;
}

describe('MCP sign-in: loopback redirect', () => {
  test('refuses a wrong state and another path without ending the wait, takes the right one, then closes', async () => {
    const redirect = await listenForRedirect({ timeoutMs: 10_000 });
    const answer = redirect.wait('s3cret');
    const wrong = await fetch(`${redirect.url}?state=guess&code=evil`);
    assert.equal(wrong.status, 400);
    const other = await fetch(`http://127.0.0.1:${redirect.port}/other?state=s3cret&code=evil`);
    assert.equal(other.status, 400);
    const right = await fetch(`${redirect.url}?state=s3cret&code=good`);
    assert.equal(right.status, 200);
    assert.match(await right.text(), /Sign-in is complete/);
    assert.equal((await answer).get('code'), 'good');
    assert.equal(redirect.closed, true);
    await assert.rejects(fetch(`${redirect.url}?state=s3cret&code=again`), /fetch failed/);
  });

  test('gives up after its timeout and on abort', async () => {
    const slow = await listenForRedirect({ timeoutMs: 50 });
    await assert.rejects(slow.wait('x'), /No answer from the browser/);
    const cancelled = await listenForRedirect({ timeoutMs: 10_000 });
    const controller = new AbortController();
    const waiting = cancelled.wait('x', controller.signal);
    controller.abort(new Error('Sign-in cancelled'));
    await assert.rejects(waiting, /Sign-in cancelled/);
    assert.equal(cancelled.closed, true);
  });
});

describe('MCP sign-in: provider', () => {
  test('never opens a browser unless the user pressed Sign in', async () => {
    const opened: SignInRequest[] = [];
    const p = provider({ openSignInPage: browserAnswering({ code: 'c' }, opened) });
    await assert.rejects(p.redirectToAuthorization(authorizationUrl(p)), SignInRequiredError);
    assert.equal(opened.length, 0);
    p.release();
  });

  test('takes the code the browser brought back to the loopback listener', async () => {
    const opened: SignInRequest[] = [];
    const p = provider({ openSignInPage: browserAnswering({ code: 'the-code' }, opened) });
    p.userStarted = true;
    await p.clientInformation(); // auth() asks this first: the listener exists before the client is registered
    assert.match(p.redirectUrl, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.deepEqual(p.clientMetadata.redirect_uris, [p.redirectUrl]);
    await p.redirectToAuthorization(authorizationUrl(p));
    assert.equal(opened[0].url.searchParams.get('redirect_uri'), p.redirectUrl);
    assert.equal(p.takeAuthorizationCode(), 'the-code');
    assert.equal(p.takeAuthorizationCode(), undefined);
  });

  test('a declined browser step and an error answer end the sign-in', async () => {
    const declined = provider({ openSignInPage: async () => false });
    declined.userStarted = true;
    await assert.rejects(declined.redirectToAuthorization(authorizationUrl(declined)), /was not started/);
    const denied = provider({ openSignInPage: browserAnswering({ error: 'access_denied', error_description: 'user said no' }) });
    denied.userStarted = true;
    await assert.rejects(denied.redirectToAuthorization(authorizationUrl(denied)), /refused: user said no/);
  });

  test('RFC 9207: a wrong or normalized iss is refused; a missing one only when the server promised it', async () => {
    const issuer = 'https://as.example';
    const withIss = (iss: string | undefined, supported: boolean) => {
      const p = provider({ openSignInPage: browserAnswering({ code: 'c', ...(iss !== undefined && { iss }) }) });
      p.userStarted = true;
      p.saveDiscoveryState({
        authorizationServerUrl: issuer,
        resourceMetadata: { resource: 'https://mcp.example/mcp' },
        authorizationServerMetadata: {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          response_types_supported: ['code'],
          ...(supported && { authorization_response_iss_parameter_supported: true }),
        },
      });
      return p.redirectToAuthorization(authorizationUrl(p)).then(() => p.takeAuthorizationCode());
    };
    assert.equal(await withIss(issuer, true), 'c');
    assert.equal(await withIss(undefined, false), 'c');
    await assert.rejects(withIss('https://evil.example', false), /another issuer/);
    await assert.rejects(withIss(`${issuer}/`, true), /another issuer/);
    await assert.rejects(withIss(undefined, true), /lacks the issuer/);
  });

  test('RFC 8414: metadata naming another issuer than the one the server pointed to is refused', () => {
    const p = provider();
    assert.throws(
      () =>
        p.saveDiscoveryState({
          authorizationServerUrl: 'https://as.example',
          resourceMetadata: { resource: 'https://mcp.example/mcp' },
          authorizationServerMetadata: {
            issuer: 'https://attacker.example',
            authorization_endpoint: 'https://attacker.example/authorize',
            token_endpoint: 'https://attacker.example/token',
            response_types_supported: ['code'],
          },
        }),
      /another issuer/,
    );
  });

  test('tokens are kept per server name and URL, and sign-out deletes them', async () => {
    const store = memoryStore();
    const first = provider({ store });
    await first.saveTokens({ access_token: 'a', token_type: 'Bearer' });
    assert.ok(store.data.has(oauthSecretKey({ name: 'remote', url: 'https://mcp.example/mcp' })));
    assert.equal((await provider({ store }).tokens())?.access_token, 'a');
    const moved = provider({ store, server: { name: 'remote', url: 'https://other.example/mcp' } });
    assert.equal(await moved.tokens(), undefined);
    await first.signOut();
    assert.equal(store.data.size, 0);
    assert.equal(await provider({ store }).tokens(), undefined);
  });

  test('a pre-registered client is presented as configured and never replaced by a registration', async () => {
    const store = memoryStore();
    const p = provider({ store, preRegistered: { clientId: 'cfg-id', clientSecret: 'cfg-secret' } });
    await p.saveClientInformation({ client_id: 'dynamic' });
    // Without tokens only a sign-in the user started goes on (to the browser); anything else stops at once.
    await assert.rejects(p.clientInformation(), SignInRequiredError);
    p.userStarted = true;
    const info = await p.clientInformation();
    assert.equal(info?.client_id, 'cfg-id');
    assert.equal(info?.client_secret, 'cfg-secret');
    p.release();
  });
});

describe('MCP sign-in: the DPoP key', () => {
  test('is kept with the tokens, so a restart signs with the same key; sign-out forgets it', async () => {
    const store = memoryStore();
    const first = await provider({ store }).dpop();
    const proof = await first.buildProof({ htm: 'POST', htu: new URL('https://mcp.example/mcp'), accessToken: 'token' });
    const [header] = proof.split('.');
    const jwk = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { jwk: { x: string } }).jwk;
    assert.equal(jwk.x, first.publicJwk.x, 'the proof carries the public key');
    assert.equal('d' in jwk, false, 'and never the private part');

    // The editor restarts: a new provider on the same secret store.
    const again = provider({ store });
    assert.equal((await again.dpop()).thumbprint, first.thumbprint);

    await again.signOut();
    assert.notEqual((await again.dpop()).thumbprint, first.thumbprint, 'a new key after sign-out');
  });
});
