/**
 * API keys belong to an endpoint's name AND its URL: a key is sent only to the URL it was saved for, so a
 * setting that gives a known endpoint name another URL (a workspace's `.vscode/settings.json`, say) gets
 * no key. No `vscode` here: the host passes SecretStorage, a Memento and its callbacks in.
 */
import type { EndpointConfig } from '../../streaming/providers/provider';

export interface SecretsLike {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

export interface MementoLike {
  get<T>(key: string, defaultValue: T): T;
  update(key: string, value: unknown): PromiseLike<void>;
}

/** Origin and path, without trailing slashes: `https://API.example.com:443/v1/` and `https://api.example.com/v1` are one URL. */
export function endpointUrlKey(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
  } catch {
    return url.replace(/\/+$/, '');
  }
}

export function apiKeySecretName(endpoint: Pick<EndpointConfig, 'name' | 'url'>): string {
  return `modelChat.apiKeyFor.${JSON.stringify([endpoint.name, endpointUrlKey(endpoint.url)])}`;
}

/** Before keys were bound to URLs: by name alone. */
export function legacyApiKeySecretName(name: string): string {
  return `modelChat.apiKey.${name}`;
}

/** SecretStorage cannot list its keys: which URLs have a key, per endpoint name, for the "URL changed" message. */
const SAVED_URLS = 'modelChat.apiKeyUrls';

export interface ApiKeysDeps {
  secrets: SecretsLike;
  /** Global state. */
  state: MementoLike;
  /** Whether the user's own settings define this endpoint, name and URL (a legacy key moves only then). */
  userDefines(endpoint: EndpointConfig): boolean;
  /** A key exists for this endpoint's name, but not for its URL: no key is sent. Called once per name and URL. */
  urlChanged(endpoint: EndpointConfig, savedFor: string[]): void;
}

export class ApiKeys {
  private readonly told = new Set<string>();

  constructor(private readonly deps: ApiKeysDeps) {}

  /** The key for this endpoint's name and URL, if one was saved for exactly that. */
  async get(endpoint: EndpointConfig): Promise<string | undefined> {
    const key = await this.deps.secrets.get(apiKeySecretName(endpoint));
    if (key !== undefined) return key;
    const legacy = await this.deps.secrets.get(legacyApiKeySecretName(endpoint.name));
    if (legacy !== undefined && this.deps.userDefines(endpoint)) {
      await this.set(endpoint, legacy);
      await this.deps.secrets.delete(legacyApiKeySecretName(endpoint.name));
      return legacy;
    }
    const url = endpointUrlKey(endpoint.url);
    const savedFor = this.savedUrls(endpoint.name).filter((u) => u !== url);
    const toldKey = JSON.stringify([endpoint.name, url]);
    if ((legacy !== undefined || savedFor.length) && !this.told.has(toldKey)) {
      this.told.add(toldKey);
      this.deps.urlChanged(endpoint, savedFor);
    }
    return undefined;
  }

  /** Stores (or, with no key, removes) the key for this endpoint's name and URL. */
  async set(endpoint: EndpointConfig, key: string | undefined): Promise<void> {
    const url = endpointUrlKey(endpoint.url);
    const others = this.savedUrls(endpoint.name).filter((u) => u !== url);
    if (key) await this.deps.secrets.store(apiKeySecretName(endpoint), key);
    else await this.deps.secrets.delete(apiKeySecretName(endpoint));
    const all = this.deps.state.get<Record<string, string[]>>(SAVED_URLS, {});
    await this.deps.state.update(SAVED_URLS, { ...all, [endpoint.name]: key ? [...others, url] : others });
    this.told.delete(JSON.stringify([endpoint.name, url]));
  }

  savedUrls(name: string): string[] {
    const urls = this.deps.state.get<Record<string, string[]>>(SAVED_URLS, {})[name];
    return Array.isArray(urls) ? urls : [];
  }
}
