import * as vscode from 'vscode';
import type { EndpointConfig, Logger, SessionConfig } from '../streaming/chatSession';

export const DEFAULT_ENDPOINTS: EndpointConfig[] = [{ name: 'Ollama', type: 'ollama', url: 'http://127.0.0.1:11434' }];

/** The model the user picked with Select model; it outlives the window and wins over the defaults. */
export interface ModelSelection {
  endpoint: string;
  model: string;
}

const SELECTION_KEY = 'modelChat.selection';

export class Settings {
  private warned = new Set<string>();

  constructor(
    private readonly state: vscode.Memento,
    private readonly log: Logger,
  ) {}

  endpoints(): EndpointConfig[] {
    const raw = vscode.workspace.getConfiguration('modelChat').get<unknown>('endpoints');
    if (!Array.isArray(raw)) return DEFAULT_ENDPOINTS;
    const valid: EndpointConfig[] = [];
    for (const e of raw) {
      const ok = e && typeof e.name === 'string' && (e.type === 'ollama' || e.type === 'openai') && typeof e.url === 'string' && /^https?:\/\//.test(e.url);
      if (ok) valid.push({ name: e.name, type: e.type, url: e.url.replace(/\/+$/, '') });
      else this.warnOnce(`Ignoring an entry of modelChat.endpoints that is not { name, type: "ollama" | "openai", url: "http(s)://…" }: ${JSON.stringify(e)}`);
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
    const defaultName = config.get<string>('defaultEndpoint', '');
    const endpoint = pickedEndpoint ?? endpoints.find((e) => e.name === defaultName) ?? endpoints[0];
    if (defaultName && !endpoints.some((e) => e.name === defaultName)) this.warnOnce(`modelChat.defaultEndpoint names '${defaultName}', which is not in modelChat.endpoints; using '${endpoint?.name}'.`);
    const model = pickedEndpoint ? picked.model : config.get<string>('defaultModel', '');
    const contextTokens = endpoint?.type === 'ollama' ? this.ollama().numCtx : undefined;
    return { endpoint, model, maxUpdatesPerSecond: config.get<number>('maxUpdatesPerSecond', 20), contextTokens };
  }

  ollama(): { numCtx: number; keepAlive?: string } {
    const config = vscode.workspace.getConfiguration('modelChat');
    const keepAlive = config.get<string>('ollama.keepAlive', '').trim();
    return { numCtx: Math.max(512, Math.floor(config.get<number>('ollama.numCtx', 8192))), ...(keepAlive ? { keepAlive } : {}) };
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.log.warn(message);
  }
}
