/** What a chat session is given: its settings, where models and tools come from, where it posts and saves. */
import type { HostToWebview } from '../../shared/protocol';
import type { Conversation } from '../../history/conversationFormat';
import type { ConversationFork } from '../../history/storeTypes';
import type { Event } from '../../shared/event';
import type { InstructionPart } from './instructions';
import type { ChatProvider, EndpointConfig } from '../providers/provider';
import type { MonotonicClock } from '../../shared/clock';
import type { Logger } from '../../shared/log';
import type { ToolSupport } from '../../tools/toolSupport';
import type { ImageStore } from './sessionImages';

export interface SessionConfig {
  endpoint: EndpointConfig | undefined;
  /** "" means the first model the endpoint lists. */
  model: string;
  maxUpdatesPerSecond: number;
  /** The context the server is asked to use (Ollama's num_ctx), for the fullness shown and the warning. */
  contextTokens?: number;
  /** modelChat.context.autoCompact: summarise the older part when a request would not fit (default on). */
  autoCompact?: boolean;
}

export interface SessionDeps {
  config(): SessionConfig;
  providerFor(endpoint: EndpointConfig): ChatProvider | Promise<ChatProvider>;
  /** Delivers to the webview if it is there to listen; the session never assumes it was. */
  post(message: HostToWebview): void;
  log: Logger;
  clock?: MonotonicClock;
  /** Tools from MCP servers; without it the model is offered none. */
  tools?: ToolSupport;
  /** Where the conversation is kept: checkpoints while streaming, flushes on every state change. */
  persist?: Persistence;
  /** Where the questions' images are kept; without it they live only as long as the session. */
  images?: ImageStore;
  /** Standing instructions, read for every turn (the setting and the workspace's instructions file); `signal` is the turn's. */
  instructions?(signal: AbortSignal): Promise<InstructionPart[]>;
}

export interface Persistence {
  checkpoint(conversation: Conversation): void;
  flush(conversation: Conversation): Promise<void>;
  /** Another window wrote this conversation differently: ours went on as a copy, which the session then is. */
  onDidFork?: Event<ConversationFork>;
}
