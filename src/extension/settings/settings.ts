import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { SessionConfig } from '../../streaming/chat/sessionTypes';
import type { EndpointConfig } from '../../streaming/providers/provider';
import type { Logger } from '../../shared/log';
import type { ApprovalSetting } from '../../tools/approval';
import { endpointUrlKey } from './apiKeys';
import { resolveUserOwned, strictestApproval, type Confirmation, type UserOwnedKey } from './settingOwnership';

export const DEFAULT_ENDPOINTS: EndpointConfig[] = [{ name: 'Ollama', type: 'ollama', url: 'http://127.0.0.1:11434' }];
/** The built-in llama.cpp engine, listed after the configured endpoints unless they name one themselves. */
export const BUILT_IN_ENDPOINT: EndpointConfig = { name: 'Built-in', type: 'embedded', url: '' };

/** The model the user picked with Select model; it outlives the window and wins over the defaults. */
export interface ModelSelection {
  endpoint: string;
  model: string;
}

const SELECTION_KEY = 'modelChat.selection';
/** The user's answers about workspace values, by fingerprint (settingOwnership.ts). */
const CONFIRMATIONS_KEY = 'modelChat.workspaceValueConfirmations';
const USE_WORKSPACE_VALUE = 'Use workspace value';
const KEEP_MINE = 'Keep mine';

export class Settings {
  private warned = new Set<string>();
  /** Fingerprints being asked about now, or dismissed in this window (asked again in the next one). */
  private readonly asked = new Set<string>();
  private readonly decided = new vscode.EventEmitter<UserOwnedKey>();
  /** The user confirmed or refused a workspace value of this setting: what it resolves to may have changed. */
  readonly onDidDecide = this.decided.event;

  constructor(
    private readonly state: vscode.Memento,
    private readonly log: Logger,
    private readonly workspaceState: vscode.Memento,
  ) {}

  dispose(): void {
    this.decided.dispose();
  }

  endpoints(): EndpointConfig[] {
    const configured = this.configuredEndpoints();
    return configured.some((e) => e.type === 'embedded') ? configured : [...configured, BUILT_IN_ENDPOINT];
  }

  private configuredEndpoints(): EndpointConfig[] {
    const raw = this.userOwned<unknown>('endpoints');
    if (!Array.isArray(raw)) return DEFAULT_ENDPOINTS;
    const valid: EndpointConfig[] = [];
    for (const e of raw) {
      if (e && typeof e.name === 'string' && e.type === 'embedded') {
        valid.push({ name: e.name, type: 'embedded', url: '' });
        continue;
      }
      const ok =
        e &&
        typeof e.name === 'string' &&
        (e.type === 'ollama' || e.type === 'openai') &&
        typeof e.url === 'string' &&
        /^https?:\/\//.test(e.url);
      if (ok) valid.push({ name: e.name, type: e.type, url: e.url.replace(/\/+$/, '') });
      else
        this.warnOnce(
          `Ignoring an entry of modelChat.endpoints that is not { name, type: "ollama" | "openai", url: "http(s)://…" } or { name, type: "embedded" }: ${JSON.stringify(e)}`,
        );
    }
    return valid;
  }

  selection(): ModelSelection | undefined {
    return this.state.get<ModelSelection>(SELECTION_KEY);
  }

  async select(selection: ModelSelection | undefined): Promise<void> {
    await this.state.update(SELECTION_KEY, selection);
  }

  /** Endpoint and model for the next turn: the picked one, else the settings' defaults. */
  session(): SessionConfig {
    const config = vscode.workspace.getConfiguration('modelChat');
    const endpoints = this.endpoints();
    const picked = this.selection();
    const pickedEndpoint = picked && endpoints.find((e) => e.name === picked.endpoint);
    const defaultName = this.userOwned<string>('defaultEndpoint') ?? '';
    const endpoint = pickedEndpoint ?? endpoints.find((e) => e.name === defaultName) ?? endpoints[0];
    if (defaultName && !endpoints.some((e) => e.name === defaultName))
      this.warnOnce(`modelChat.defaultEndpoint names '${defaultName}', which is not in modelChat.endpoints; using '${endpoint?.name}'.`);
    const model = pickedEndpoint ? picked.model : (this.userOwned<string>('defaultModel') ?? '');
    const contextTokens = endpoint?.type === 'ollama' ? this.ollama().numCtx : undefined;
    const autoCompact = config.get<boolean>('context.autoCompact', true);
    return { endpoint, model, maxUpdatesPerSecond: config.get<number>('maxUpdatesPerSecond', 20), contextTokens, autoCompact };
  }

  ollama(): { numCtx: number; keepAlive?: string } {
    const config = vscode.workspace.getConfiguration('modelChat');
    const keepAlive = config.get<string>('ollama.keepAlive', '').trim();
    return { numCtx: Math.max(512, Math.floor(config.get<number>('ollama.numCtx', 8192))), ...(keepAlive ? { keepAlive } : {}) };
  }

  /**
   * The built-in engine's models folder: the user's own setting only (a workspace must not choose which model
   * files run), else `fallback` (a folder in the extension's global storage).
   */
  embeddedModelsFolder(fallback: string): string {
    const mine = vscode.workspace.getConfiguration('modelChat').inspect<string>('embedded.modelsFolder')?.globalValue?.trim();
    return mine ? mine.replace(/^~(?=$|[\\/])/, homedir()) : fallback;
  }

  /** Minutes without use before the built-in engine gives a model's memory back; 0 keeps it loaded. */
  embeddedIdleUnloadMs(): number {
    const minutes = vscode.workspace.getConfiguration('modelChat').get<number>('embedded.idleUnloadMinutes', 10);
    return Math.max(0, Number.isFinite(minutes) ? minutes : 10) * 60_000;
  }

  /** CPU threads for the built-in engine; `undefined` lets node-llama-cpp choose. The user's own value only. */
  embeddedThreads(): number | undefined {
    const threads = vscode.workspace.getConfiguration('modelChat').inspect<number>('embedded.threads')?.globalValue;
    return typeof threads === 'number' && Number.isFinite(threads) && threads >= 1 ? Math.floor(threads) : undefined;
  }

  /** `tools.approval`: the strictest of the user's and the workspace's values. */
  toolApproval(): ApprovalSetting {
    return strictestApproval(vscode.workspace.getConfiguration('modelChat').inspect('tools.approval'));
  }

  toolTimeoutMs(): number {
    const seconds = this.userOwned<number>('tools.timeoutSeconds');
    return 1000 * (typeof seconds === 'number' && seconds > 0 ? seconds : 60);
  }

  mcpServers(): unknown {
    return this.userOwned('mcp.servers');
  }

  /** Whether the user's own settings (not a workspace's) define this endpoint with this URL. */
  userDefines(endpoint: EndpointConfig): boolean {
    const mine = vscode.workspace.getConfiguration('modelChat').inspect<unknown>('endpoints')?.globalValue;
    return (
      Array.isArray(mine) &&
      mine.some((e) => e?.name === endpoint.name && typeof e.url === 'string' && endpointUrlKey(e.url) === endpointUrlKey(endpoint.url))
    );
  }

  /**
   * A setting that decides where data goes or what runs: the user's value, or a trusted workspace's once
   * the user confirmed that exact value. Until they answer, their own value holds.
   */
  private userOwned<T>(key: UserOwnedKey): T | undefined {
    const inspected = vscode.workspace.getConfiguration('modelChat').inspect<T>(key);
    const confirmations = this.workspaceState.get<Record<string, Confirmation>>(CONFIRMATIONS_KEY, {});
    const resolved = resolveUserOwned(key, inspected, vscode.workspace.isTrusted, (print) =>
      Object.hasOwn(confirmations, print) ? confirmations[print] : undefined,
    );
    if (resolved.ask && !this.asked.has(resolved.ask.fingerprint)) void this.confirm(key, resolved.ask.value, resolved.ask.fingerprint);
    return resolved.value;
  }

  private async confirm(key: UserOwnedKey, value: unknown, print: string): Promise<void> {
    this.asked.add(print);
    const answer = await vscode.window.showWarningMessage(
      `This workspace sets modelChat.${key}, which decides where your questions and files go or what runs on your machine. Use the workspace's value instead of yours?`,
      { modal: true, detail: JSON.stringify(value, null, 2).slice(0, 2000) },
      USE_WORKSPACE_VALUE,
      KEEP_MINE,
    );
    // A dismissed prompt keeps the user's value for this window, and asks again in the next one.
    if (answer === undefined) return;
    const decision: Confirmation = answer === USE_WORKSPACE_VALUE ? 'use' : 'refuse';
    const confirmations = this.workspaceState.get<Record<string, Confirmation>>(CONFIRMATIONS_KEY, {});
    await this.workspaceState.update(CONFIRMATIONS_KEY, { ...confirmations, [print]: decision });
    this.log.info(`The workspace's value of modelChat.${key} is ${decision === 'use' ? 'used' : 'ignored'}, as the user chose.`);
    this.decided.fire(key);
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.log.warn(message);
  }
}
