import type { WebviewToHost } from '../shared/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What the page keeps across reloads of the webview (the draft the user is typing). */
export interface PageState {
  draft?: string;
  /** Questions sent, oldest first, for Up-arrow recall. */
  sent?: string[];
  /** An inline edit of an earlier question that was open (the view reloads whenever it is hidden). */
  editing?: { id: string; text: string };
  /** The conversation shown (an editor tab's serializer reopens it after a window reload). */
  conversationId?: string;
}

export interface HostApi {
  post(message: WebviewToHost): void;
  state(): PageState;
  saveState(state: PageState): void;
}

export function connectHost(): HostApi {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    state: () => (api.getState() as PageState | undefined) ?? {},
    saveState: (state) => api.setState(state),
  };
}
