/** Which model a session's turns use: the configured one, or the first one the endpoint lists. */
import type { ModelLabel } from '../../shared/protocol';
import type { ChatProvider } from '../providers/provider';
import { describe } from './answerInfo';
import type { SessionDeps } from './sessionTypes';

export class SessionModel {
  private resolved: string | undefined;
  /** The running turn's label (`hold`): what its checkpoints record. */
  private held: ModelLabel | undefined;

  constructor(
    private readonly deps: SessionDeps,
    /** The label may have changed (the endpoint named its first model). */
    private readonly changed: (label: ModelLabel) => void,
  ) {}

  label(): ModelLabel {
    const { endpoint, model } = this.deps.config();
    return { endpoint: endpoint?.name ?? '(no endpoint)', model: model || this.resolved, ...(endpoint ? { provider: endpoint.type } : {}) };
  }

  /**
   * The label a stored conversation records: while a turn runs, the one it started with. A turn checkpoints
   * after every update, and reading the settings behind `label()` cost the extension host about 1 ms each time
   * in code-server (0.2 s of a 12 s answer); the turn's model does not change meanwhile.
   */
  recorded(): ModelLabel {
    return this.held ?? this.label();
  }

  /** A turn starts (`hold`) or ends (`release`). */
  hold(): void {
    this.held = this.label();
  }

  release(): void {
    this.held = undefined;
  }

  /** Asks the endpoint for its first model when none is configured, so the header can name it. */
  async refresh(signal?: AbortSignal): Promise<void> {
    const { endpoint, model } = this.deps.config();
    if (!endpoint || model) return;
    try {
      const models = await (await this.deps.providerFor(endpoint)).listModels(signal);
      this.resolved = models[0]?.name;
    } catch (err) {
      this.deps.log.warn(`Listing models at ${endpoint.url} failed: ${describe(err)}`);
    }
    this.changed(this.label());
  }

  async first(provider: ChatProvider, signal: AbortSignal): Promise<string | undefined> {
    if (this.resolved) return this.resolved;
    const models = await provider.listModels(signal);
    this.resolved = models[0]?.name;
    if (this.held) this.hold();
    if (this.resolved) this.changed(this.label());
    return this.resolved;
  }

  /**
   * Whether the model the next turn uses can see images: false only when its server says it cannot (Ollama's
   * capabilities); a server that cannot say, or a look-up that fails, lets the turn go and report.
   */
  async canSee(signal: AbortSignal): Promise<boolean> {
    const { endpoint, model } = this.deps.config();
    if (!endpoint) return true;
    try {
      const provider = await this.deps.providerFor(endpoint);
      const name = model || this.resolved || (await this.first(provider, signal));
      return !name || ((await provider.supportsVision?.(name, signal)) ?? true);
    } catch {
      return true;
    }
  }
}
