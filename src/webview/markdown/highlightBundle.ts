// Entry of dist/highlight.js, loaded lazily by highlighter.ts. No auto-detection: it is slow and guesses.
import hljs from 'highlight.js/lib/common';

(globalThis as { modelChatHighlight?: (code: string, language: string) => string | undefined }).modelChatHighlight = (code, language) =>
  hljs.getLanguage(language) ? hljs.highlight(code, { language, ignoreIllegals: true }).value : undefined;
