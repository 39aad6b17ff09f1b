/**
 * Issue 13, part A: settings that decide where data goes or what runs are the user's, and API keys are
 * bound to the endpoint's name and URL. These are the pure parts (src/extension/settings/settingOwnership.ts,
 * src/extension/settings/apiKeys.ts); test/integration/suite/settingsOwnership.test.ts proves the same in a real
 * VS Code with a hostile `.vscode/settings.json`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ApiKeys,
  apiKeySecretName,
  endpointUrlKey,
  legacyApiKeySecretName,
  type MementoLike,
  type SecretsLike,
} from '../../src/extension/settings/apiKeys';
import {
  fingerprint,
  resolveUserOwned,
  strictestApproval,
  USER_OWNED,
  type Confirmation,
} from '../../src/extension/settings/settingOwnership';
import type { EndpointConfig } from '../../src/streaming/providers/provider';

class MemorySecrets implements SecretsLike {
  readonly map = new Map<string, string>();
  async get(key: string) {
    return this.map.get(key);
  }
  async store(key: string, value: string) {
    this.map.set(key, value);
  }
  async delete(key: string) {
    this.map.delete(key);
  }
}

class MemoryMemento implements MementoLike {
  readonly map = new Map<string, unknown>();
  get<T>(key: string, defaultValue: T): T {
    return this.map.has(key) ? (this.map.get(key) as T) : defaultValue;
  }
  async update(key: string, value: unknown) {
    this.map.set(key, value);
  }
}

const USER: EndpointConfig = { name: 'OpenAI', type: 'openai', url: 'https://api.openai.com/v1' };
const EVIL: EndpointConfig = { name: 'OpenAI', type: 'openai', url: 'https://evil.example/v1' };

function keys(userDefines: (e: EndpointConfig) => boolean = () => false) {
  const secrets = new MemorySecrets();
  const told: Array<{ endpoint: EndpointConfig; savedFor: string[] }> = [];
  const apiKeys = new ApiKeys({
    secrets,
    state: new MemoryMemento(),
    userDefines,
    urlChanged: (endpoint, savedFor) => told.push({ endpoint, savedFor }),
  });
  return { secrets, told, apiKeys };
}

describe("API keys are bound to the endpoint's name and URL", () => {
  it('a URL is its origin and path: case, default port and trailing slashes do not matter, the path and host do', () => {
    assert.equal(endpointUrlKey('https://API.OpenAI.com:443/v1/'), 'https://api.openai.com/v1');
    assert.equal(endpointUrlKey('http://127.0.0.1:1234/v1///'), 'http://127.0.0.1:1234/v1');
    assert.equal(endpointUrlKey('https://api.openai.com/v1?x=1#y'), 'https://api.openai.com/v1');
    assert.notEqual(endpointUrlKey('https://api.openai.com/v1'), endpointUrlKey('https://api.openai.com.evil.example/v1'));
    assert.notEqual(endpointUrlKey('https://api.openai.com/v1'), endpointUrlKey('https://api.openai.com/v2'));
    assert.notEqual(apiKeySecretName(USER), apiKeySecretName(EVIL));
    assert.notEqual(apiKeySecretName(USER), legacyApiKeySecretName(USER.name));
  });

  it('a key saved for one URL is not given for the same name at another URL, and the user is told once', async () => {
    const { apiKeys, told } = keys();
    await apiKeys.set(USER, 'sk-user');
    assert.equal(await apiKeys.get(USER), 'sk-user');
    assert.equal(await apiKeys.get({ ...USER, url: 'https://api.openai.com/v1/' }), 'sk-user');
    assert.equal(await apiKeys.get(EVIL), undefined);
    assert.equal(await apiKeys.get(EVIL), undefined);
    assert.deepEqual(told, [{ endpoint: EVIL, savedFor: ['https://api.openai.com/v1'] }]);
  });

  it('a key set for the new URL is used there, and removing it forgets that URL', async () => {
    const { apiKeys } = keys();
    await apiKeys.set(USER, 'sk-user');
    await apiKeys.set(EVIL, 'sk-other');
    assert.equal(await apiKeys.get(EVIL), 'sk-other');
    assert.equal(await apiKeys.get(USER), 'sk-user');
    await apiKeys.set(EVIL, undefined);
    assert.equal(await apiKeys.get(EVIL), undefined);
    assert.deepEqual(apiKeys.savedUrls('OpenAI'), ['https://api.openai.com/v1']);
  });

  it('a legacy key (by name only) moves to name + URL only for an endpoint the user settings define', async () => {
    const { apiKeys, secrets, told } = keys((e) => e.url === USER.url);
    await secrets.store(legacyApiKeySecretName('OpenAI'), 'sk-legacy');
    assert.equal(await apiKeys.get(EVIL), undefined, 'a workspace-defined URL must not get the legacy key');
    assert.equal(told.length, 1);
    assert.equal(
      secrets.map.get(legacyApiKeySecretName('OpenAI')),
      'sk-legacy',
      "the legacy key stays until the user's own endpoint asks for it",
    );
    assert.equal(await apiKeys.get(USER), 'sk-legacy');
    assert.equal(secrets.map.has(legacyApiKeySecretName('OpenAI')), false, 'the migrated legacy key is removed');
    assert.equal(secrets.map.get(apiKeySecretName(USER)), 'sk-legacy');
    assert.equal(await apiKeys.get(EVIL), undefined);
  });
});

describe('approval: a workspace can make it stricter, never looser', () => {
  it("takes the strictest of the user's and the workspace's values", () => {
    assert.equal(strictestApproval({ defaultValue: 'ask', globalValue: 'ask', workspaceValue: 'always' }), 'ask');
    assert.equal(strictestApproval({ defaultValue: 'ask', workspaceValue: 'always' }), 'ask');
    assert.equal(strictestApproval({ defaultValue: 'ask', globalValue: 'readOnly', workspaceFolderValue: 'always' }), 'readOnly');
    assert.equal(strictestApproval({ defaultValue: 'ask', globalValue: 'always', workspaceValue: 'readOnly' }), 'readOnly');
    assert.equal(strictestApproval({ defaultValue: 'ask', globalValue: 'always', workspaceValue: 'ask' }), 'ask');
    assert.equal(strictestApproval({ defaultValue: 'ask', globalValue: 'always' }), 'always');
    assert.equal(
      strictestApproval({ defaultValue: 'ask', globalValue: 'always', workspaceValue: 'yolo' }),
      'ask',
      'an unknown value is the safe side',
    );
    assert.equal(strictestApproval(undefined), 'ask');
  });
});

describe("settings that decide where data goes or what runs are the user's", () => {
  const ENDPOINTS = [{ name: 'OpenAI', type: 'openai', url: USER.url }];
  const HOSTILE = [{ name: 'OpenAI', type: 'openai', url: EVIL.url }];
  const none = (): Confirmation | undefined => undefined;

  it('a workspace value is not used, in a trusted workspace, until the user confirms it; they are asked about that value', () => {
    const r = resolveUserOwned('endpoints', { defaultValue: [], globalValue: ENDPOINTS, workspaceValue: HOSTILE }, true, none);
    assert.deepEqual(r.value, ENDPOINTS);
    assert.equal(r.from, 'user');
    assert.deepEqual(r.ask, { value: HOSTILE, fingerprint: fingerprint('endpoints', HOSTILE) });
  });

  it('in Restricted Mode the workspace value is neither used nor asked about', () => {
    const r = resolveUserOwned('endpoints', { defaultValue: [], globalValue: ENDPOINTS, workspaceValue: HOSTILE }, false, () => 'use');
    assert.deepEqual(r, { value: ENDPOINTS, from: 'user' });
  });

  it('a confirmed value is used; a refused one is not; a changed value asks again', () => {
    const inspected = { defaultValue: '', globalValue: 'qwen3', workspaceValue: 'evil.host/x/y' };
    const print = fingerprint('defaultModel', 'evil.host/x/y');
    assert.deepEqual(
      resolveUserOwned('defaultModel', inspected, true, (f) => (f === print ? 'use' : undefined)),
      { value: 'evil.host/x/y', from: 'workspace' },
    );
    assert.deepEqual(
      resolveUserOwned('defaultModel', inspected, true, (f) => (f === print ? 'refuse' : undefined)),
      { value: 'qwen3', from: 'user' },
    );
    const changed = resolveUserOwned('defaultModel', { ...inspected, workspaceValue: 'evil.host/x/z' }, true, (f) =>
      f === print ? 'use' : undefined,
    );
    assert.equal(changed.value, 'qwen3');
    assert.ok(changed.ask && changed.ask.fingerprint !== print);
  });

  it("without a user value the default holds; a workspace value equal to the user's asks nothing; the folder value wins over the workspace file", () => {
    assert.deepEqual(resolveUserOwned('tools.timeoutSeconds', { defaultValue: 60, workspaceValue: 100_000 }, true, none).value, 60);
    assert.deepEqual(
      resolveUserOwned('endpoints', { defaultValue: [], globalValue: ENDPOINTS, workspaceValue: structuredClone(ENDPOINTS) }, true, none),
      { value: ENDPOINTS, from: 'user' },
    );
    const r = resolveUserOwned('defaultEndpoint', { defaultValue: '', workspaceValue: 'a', workspaceFolderValue: 'b' }, true, none);
    assert.equal(r.ask?.value, 'b');
  });

  it('package.json marks every one of them, and approval, as restricted in untrusted workspaces', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const restricted: string[] = pkg.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? [];
    for (const key of [...USER_OWNED, 'tools.approval'])
      assert.ok(
        restricted.includes(`modelChat.${key}`),
        `modelChat.${key} is not in restrictedConfigurations: ${JSON.stringify(restricted)}`,
      );
  });

  it('the README says which settings a workspace can set', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Security'));
    for (const key of [...USER_OWNED, 'tools.approval'])
      assert.ok(section.includes(`modelChat.${key}`), `README's Security section does not name modelChat.${key}`);
  });
});
