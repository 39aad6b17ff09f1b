/**
 * Model Chat's OAuth client ID metadata document (CIMD, SEP-991): an authorization server that advertises
 * `client_id_metadata_document_supported` takes the document's https URL as the client_id and fetches the
 * document, instead of a dynamic registration per server. The SDK's auth() prefers it whenever a URL is given.
 */
import { REDIRECT_PATH } from './loopbackRedirect';

/**
 * Where the document is published, or undefined while it is not: a URL that answers 404 would make every
 * server that supports CIMD refuse the sign-in, so until the document is really served there, servers get
 * dynamic registration (or a pre-registered client from the config). Set it (https, a path other than `/`)
 * once `clientMetadataDocument(url)` is served at that URL with `Content-Type: application/json`.
 */
export const CLIENT_METADATA_URL: string | undefined = undefined;

/** The document to publish at `url`: what the provider registers dynamically, with the URL as its client_id. */
export function clientMetadataDocument(url: string): Record<string, unknown> {
  return {
    client_id: url,
    client_name: 'Model Chat',
    // RFC 8252 §7.3: loopback redirects may use any port; the listener's port is chosen at sign-in.
    redirect_uris: [`http://127.0.0.1${REDIRECT_PATH}`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
  };
}
