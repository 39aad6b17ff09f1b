/**
 * Syntax highlighting, loaded on first use: highlight.js is a separate bundle (dist/highlight.js) added
 * with this page's nonce, so the chat page loads fast and the CSP stays nonce-only. Results are cached by
 * language and text in a bounded map, so re-rendering a conversation does not highlight twice.
 */
type HighlightFn = (code: string, language: string) => string | undefined;

const CACHE_LIMIT = 200;
const cache = new Map<string, string | undefined>();
let loading: Promise<HighlightFn | undefined> | undefined;

/** Where the page's own script came from, and its nonce: captured while it runs, before anything else. */
const self = document.currentScript as HTMLScriptElement | null;
const scriptBase = self?.src;
const nonce = self?.nonce;

function load(): Promise<HighlightFn | undefined> {
  loading ??= new Promise((resolve) => {
    const existing = (globalThis as { modelChatHighlight?: HighlightFn }).modelChatHighlight;
    if (existing || !scriptBase) return resolve(existing);
    const script = document.createElement('script');
    script.src = new URL('highlight.js', scriptBase).toString();
    if (nonce) script.nonce = nonce;
    script.onload = () => resolve((globalThis as { modelChatHighlight?: HighlightFn }).modelChatHighlight);
    script.onerror = () => resolve(undefined);
    document.head.append(script);
  });
  return loading;
}

/** HTML for `code` in `language` (spans with hljs-* classes), or undefined for unknown languages. */
export async function highlight(code: string, language: string): Promise<string | undefined> {
  const key = `${language}\u0000${code}`;
  if (cache.has(key)) {
    const hit = cache.get(key);
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const fn = await load();
  const html = fn?.(code, language);
  cache.set(key, html);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return html;
}
