/**
 * The default time limits, in one table so they are chosen together and each wait has one. Settings
 * override some (modelChat.tools.timeoutSeconds); callers and tests may pass their own.
 */
export const TIMEOUTS = {
  /** A tool call without a result or a progress notification; a server's form open for it stops this clock. */
  toolCallMs: 60_000,
  /** One tool call, progress or not: a server reporting progress forever must not hold the turn forever. */
  toolLifetimeMs: 30 * 60_000,
  /** An MCP server's start: connecting, the handshake, listing its tools. */
  mcpStartMs: 60_000,
  /** Listing an MCP server's prompts or resources, reading one, getting a prompt: one request each. */
  mcpRequestMs: 30_000,
  /** "Select model": every endpoint's model list, asked in parallel. */
  modelListMs: 8_000,
  /** A small response read whole (a model list, a capability look-up): request to last byte. */
  smallResponseMs: 10_000,
  /** A server's form (MCP elicitation) left unanswered: cancelled, so the tool that asked can go on. */
  elicitationMs: 10 * 60_000,
  /** Signing in to an MCP server in the browser: the redirect back to the loopback listener. */
  mcpSignInMs: 5 * 60_000,
  /** The setup check when the view opens (is the server there, is the model installed). */
  setupCheckMs: 10_000,
  /** Apply's "Ask the model to merge": a whole file written back by a local model can take minutes. */
  modelMergeMs: 5 * 60_000,
} as const;
