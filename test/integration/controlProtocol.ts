/**
 * What the runner's fake Ollama and the suite inside VS Code's extension host say to each other. The fake
 * runs in the runner's process (test/integration/run.ts), the suite in VS Code's: a small HTTP control
 * server next to the fake lets the suite choose how /api/chat answers and read what the fake saw.
 *
 *   GET  /state  -> FakeState
 *   POST /plan   <- ChatPlan   (how every following /api/chat request is answered; a `toolCalls` plan
 *                              answers only the next one, then hands over to its `then`)
 *   POST /reset               (forget requests and closed connections; plan back to a short answer)
 */

/** How the fake answers /api/chat. */
export type ChatPlan =
  /** Ollama's NDJSON for these tokens, one line every `intervalMs` (0: all at once), then the done line. */
  | { kind: 'answer'; tokens: string[]; intervalMs?: number }
  /** These tokens, then nothing: the response stays open (a model still writing) until the client closes it. */
  | { kind: 'hang'; tokens: string[] }
  /** No response headers for `ms` (a cold model loading), unless the client gives up first. */
  | { kind: 'holdHeaders'; ms: number }
  /** A non-200 answer the way Ollama writes it: `{"error": "…"}`. */
  | { kind: 'error'; status: number; error: string }
  /**
   * The next request only: these tokens (none by default), then one line asking for these tool calls (as
   * Ollama writes `message.tool_calls`), then the done line. Every request after it is answered by `then`
   * (the default short answer when left out), e.g. the request that carries the tool results back.
   */
  | { kind: 'toolCalls'; calls: Array<{ name: string; arguments?: Record<string, unknown> }>; tokens?: string[]; then?: ChatPlan };

export const PLAN_KINDS: ReadonlyArray<ChatPlan['kind']> = ['answer', 'hang', 'holdHeaders', 'error', 'toolCalls'];

export interface FakeRequest {
  path: string;
  body: any;
}

export interface FakeClosed {
  path: string;
  /** Whether the 200 and its headers had gone out when the client closed the connection. */
  headersSent: boolean;
}

export interface FakeState {
  /** The fake Ollama's base URL (what the user settings point modelChat.endpoints at). */
  url: string;
  requests: FakeRequest[];
  /** Connections the client closed before the response was complete (Stop, in these tests). */
  closed: FakeClosed[];
}

/** The environment variable (and user setting, as a fallback) that carries the control server's URL. */
export const CONTROL_ENV = 'MODEL_CHAT_FAKE_CONTROL';
export const CONTROL_SETTING = 'modelChatIntegration.controlUrl';
/** Where the suite writes its result, so the runner never takes a run that loaded no tests for a pass. */
export const RESULTS_ENV = 'MODEL_CHAT_INTEGRATION_RESULTS';

export interface SuiteResult {
  passes: number;
  failures: number;
  pending: number;
  /** Every test (and failed hook) in the order it finished. */
  tests: Array<{ title: string; state: 'passed' | 'failed' | 'pending'; ms?: number; error?: string }>;
  vscodeVersion: string;
  /** `vscode.env.appHost`: `desktop` in Electron; code-server says `server-distro`. */
  appHost: string;
}
