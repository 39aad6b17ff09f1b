/** What a chat session is given: its settings, where models and tools come from, where it posts and saves. */
import type { HostToWebview } from '../../shared/protocol';
import type { Conversation } from '../../history/conversationFormat';
import type { InstructionPart } from './instructions';
import type { ChatProvider } from '../providers/provider';
import type { Clock } from '../pacing/throttle';
import type { ToolSupport } from '../../tools/toolSupport';

export interface EndpointConfig {
  name: string;
  type: 'ollama' | 'openai';
  url: string;
}

export interface SessionConfig {
  endpoint: EndpointConfig | undefined;
  /** "" means the first model the endpoint lists. */
  model: string;
  maxUpdatesPerSecond: number;
  /** The context the server is asked to use (Ollama's num_ctx), for the fullness shown and the warning. */
  contextTokens?: number;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface SessionDeps {
  config(): SessionConfig;
  providerFor(endpoint: EndpointConfig): ChatProvider | Promise<ChatProvider>;
  /** Delivers to the webview if it is there to listen; the session never assumes it was. */
  post(message: HostToWebview): void;
  log: Logger;
  clock?: Clock;
  /** Tools from MCP servers; without it the model is offered none. */
  tools?: ToolSupport;
  /** Where the conversation is kept: checkpoints while streaming, flushes on every state change. */
  persist?: Persistence;
  /** Standing instructions, read for every turn (the setting and the workspace's instructions file); `signal` is the turn's. */
  instructions?(signal: AbortSignal): Promise<InstructionPart[]>;
}

export interface Persistence {
  checkpoint(conversation: Conversation): void;
  flush(conversation: Conversation): Promise<void>;
}
