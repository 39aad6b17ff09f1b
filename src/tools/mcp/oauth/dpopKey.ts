/**
 * The DPoP key (RFC 9449) of one server's sign-in. An authorization server that supports DPoP binds the tokens
 * to this key, so it is kept with the tokens (in the secret store): a key made afresh at each start would leave
 * the saved tokens, refresh token included, useless and the user signing in again after every restart.
 */
import { createHash } from 'node:crypto';
import type { DpopKeyPair } from '@modelcontextprotocol/client';

/** What is saved: the private key as a JWK (P-256, the SDK's default ES256). */
export type SavedDpopKey = JsonWebKey;

const ES256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** A new ES256 key pair, and the JWK to save for it. */
export async function newDpopKey(): Promise<{ keyPair: DpopKeyPair; saved: SavedDpopKey }> {
  const pair = (await crypto.subtle.generateKey(ES256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const saved = await crypto.subtle.exportKey('jwk', pair.privateKey);
  return { keyPair: await dpopKeyFrom(saved), saved };
}

/** The key pair for a saved JWK (imported non-extractable: it only signs from now on). */
export async function dpopKeyFrom(saved: SavedDpopKey): Promise<DpopKeyPair> {
  const { kty, crv, x, y } = saved;
  if (kty !== 'EC' || crv !== 'P-256' || !x || !y || !saved.d) throw new Error('The saved DPoP key is not an ES256 key');
  const publicJwk = { kty, crv, x, y };
  const privateKey = await crypto.subtle.importKey('jwk', saved, ES256, false, ['sign']);
  const publicKey = await crypto.subtle.importKey('jwk', publicJwk, ES256, true, ['verify']);
  // RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
  const thumbprint = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  return { privateKey, publicKey, publicJwk, thumbprint, alg: 'ES256' };
}
