import type { ResourceLinkInfo, ToolTruncation } from '../shared/protocol';
import type { ToolCall } from '../streaming/providers/events';

/** Finer than ok/failed, for the card: a tool's own error, a failure around it, a timeout, a Stop. */
export type ToolOutcome = 'done' | 'toolError' | 'failed' | 'timeout' | 'cancelled';

/** A tool as offered to the model, with what the chat shows about it. */
export interface ToolDescriptor {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  inputSchema: Record<string, unknown>;
  server?: string;
  readOnly?: boolean;
  /** Asks before every call, whatever the approval setting (run_command); the card says so. */
  alwaysAsks?: boolean;
}

export interface ToolRunResult {
  outcome: ToolOutcome;
  /** Text for the model (and the card); for failures, the reason. */
  content: string;
  images?: Array<{ mimeType: string; data: string }>;
  /** Resources the result links to, which the card offers to open or attach. */
  links?: ResourceLinkInfo[];
  durationMs: number;
  /** The content is only part of what the tool returned (the card says so and can open the rest). */
  truncated?: ToolTruncation;
}

/** The answer a call was made in: what the call changes joins that answer's "Undo changes of this answer". */
export interface ToolTurn {
  conversationId: string;
  /** The id of the turn's first assistant message (MessageSnapshot.id), which shows the Undo. */
  messageId: string;
}

export interface ToolCallOptions {
  /** This call's own signal: the turn's Stop and the card's Cancel both abort it. */
  signal: AbortSignal;
  /** Aborts `signal`: for a Cancel the host offers itself (e.g. in VS Code's progress notification). */
  cancel(): void;
  onProgress(progress: number, total?: number, message?: string): void;
  /** The card the call shows as: what a server's request during the call (a form) is shown next to. */
  cardId?: string;
  turn?: ToolTurn;
}

/** The tools of a turn, and whether they go in the prompt (the model or server has no native tool calling). */
export interface ToolOffer {
  tools: ToolDescriptor[];
  asText: boolean;
}

/**
 * What the chat session needs to use tools, without knowing about MCP or VS Code: the extension adapts
 * McpConnections, the approval setting and the progress UI to this.
 */
export interface ToolSupport {
  /**
   * The tools to offer for a turn ([] when there are none); starts servers on first use. `conversation`: the
   * conversation's id, whose own choice of tools (on and off in the chat) applies.
   */
  list(signal: AbortSignal, conversation?: string): Promise<ToolDescriptor[]>;
  needsApproval(tool: ToolDescriptor): boolean;
  /** "Always allow this tool", remembered by the host. */
  alwaysAllow(tool: ToolDescriptor): void;
  run(call: ToolCall, options: ToolCallOptions): Promise<ToolRunResult>;
}

/** More rounds than this and the model is likely looping: the turn ends with an error saying so. */
export const MAX_TOOL_ROUNDS = 8;
