/**
 * Remembered answers to mcp.json's `${input:…}` prompts. An answer belongs to the server that asked for it:
 * its name, where it was configured (user settings, or one workspace) and the input's id. Keyed by the id
 * alone, any workspace's mcp.json could put `${input:github-token}` into a header for its own URL and be
 * handed the user's token without a prompt.
 */
import { createHash } from 'node:crypto';
import type { McpInput, McpServerSource } from './mcpConfig';

/** The server an input is asked for. */
export interface InputOwner {
  name: string;
  source: McpServerSource;
}

/** VS Code's SecretStorage, as far as this needs it. */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

/** VS Code's Memento, as far as this needs it. */
export interface ValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export interface McpInputStoreDeps {
  /** One store for every window: keys carry the scope. */
  secrets: SecretStore;
  /** Non-secret answers for servers from user settings (globalState). */
  userState: ValueStore;
  /** Non-secret answers for the workspace's servers (workspaceState). */
  workspaceState: ValueStore;
  /** Identity of the open workspace (the .code-workspace file or the folder URI); undefined with none open. */
  workspace(): string | undefined;
  /** Asks the user; undefined when they cancel. */
  prompt(input: McpInput, owner: InputOwner): PromiseLike<string | undefined>;
}

/** Before scoping, answers were stored under this prefix + the input id; such a value is never handed out. */
const LEGACY_PREFIX = 'modelChat.mcp.input.';
const PREFIX = 'modelChat.mcp.input2.';

/**
 * The storage key of an input's answer. User-settings servers share the 'user' scope across windows; a
 * workspace's servers get their workspace's. Hashed, so no name or id can forge another scope's key.
 */
export function inputStorageKey(owner: InputOwner, workspace: string | undefined, inputId: string): string {
  const scope = owner.source === 'settings' ? 'user' : `workspace:${workspace ?? ''}`;
  return (
    PREFIX +
    createHash('sha256')
      .update(JSON.stringify([scope, owner.name, inputId]))
      .digest('hex')
      .slice(0, 40)
  );
}

export class McpInputStore {
  constructor(private readonly deps: McpInputStoreDeps) {}

  /** The remembered answer for this server's input, or the user's new one (then remembered). */
  async resolve(input: McpInput, owner: InputOwner): Promise<string | undefined> {
    await this.forgetLegacy(input.id);
    const key = inputStorageKey(owner, this.deps.workspace(), input.id);
    const state = owner.source === 'settings' ? this.deps.userState : this.deps.workspaceState;
    const stored = input.password ? await this.deps.secrets.get(key) : state.get<string>(key);
    if (stored !== undefined) return stored;
    const value = await this.deps.prompt(input, owner);
    if (value === undefined) return undefined;
    if (input.password) await this.deps.secrets.store(key, value);
    else await state.update(key, value);
    return value;
  }

  private async forgetLegacy(id: string): Promise<void> {
    const key = LEGACY_PREFIX + id;
    if ((await this.deps.secrets.get(key)) !== undefined) await this.deps.secrets.delete(key);
    if (this.deps.workspaceState.get(key) !== undefined) await this.deps.workspaceState.update(key, undefined);
  }
}
