// Entry of dist/highlight.js, loaded lazily by highlighter.ts. No auto-detection: it is slow and guesses.
// Run as a worker (the usual case) it answers requests by message; loaded as a page script (where a worker
// cannot start) it leaves a function for the page.
import hljs from 'highlight.js/lib/common';

export interface HighlightRequest {
  id: number;
  code: string;
  language: string;
}

export interface HighlightReply {
  id: number;
  html: string | undefined;
}

const highlight = (code: string, language: string): string | undefined =>
  hljs.getLanguage(language) ? hljs.highlight(code, { language, ignoreIllegals: true }).value : undefined;

const scope = globalThis as unknown as {
  modelChatHighlight?: typeof highlight;
  WorkerGlobalScope?: unknown;
  onmessage: ((event: MessageEvent<HighlightRequest>) => void) | null;
  postMessage(reply: HighlightReply): void;
};
if (typeof scope.WorkerGlobalScope === 'function') {
  scope.onmessage = ({ data }) => {
    let html: string | undefined;
    try {
      html = highlight(data.code, data.language);
    } catch {
      html = undefined;
    }
    scope.postMessage({ id: data.id, html });
  };
} else {
  scope.modelChatHighlight = highlight;
}
