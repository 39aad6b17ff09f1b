import type { HighlightReply, HighlightRequest } from './highlightBundle';

/**
 * Syntax highlighting, loaded on first use from a separate bundle (dist/highlight.js), so the chat page
 * loads fast. It runs in a worker: highlight.js's first use costs 85 ms and more on the page's thread
 * (evaluating its 37 grammars, then compiling each language's on first use: 70-300 ms for Java or CSS on a
 * busy machine), long tasks in the middle of a streamed answer. The worker is built from the bundle's text
 * (fetched from the extension's own origin: a webview's resources are on another origin than the page, and
 * a worker must be same-origin or a blob:). Where it cannot start, the bundle is added as a page script
 * with this page's nonce, as before. Results are cached by language and text in a bounded map, so
 * re-rendering a conversation does not highlight twice.
 */
type HighlightFn = (code: string, language: string) => Promise<string | undefined>;

const CACHE_LIMIT = 200;
const cache = new Map<string, string | undefined>();
let engine: Promise<HighlightFn> | undefined;

/** Where the page's own script came from, and its nonce: captured while it runs, before anything else. */
const self = document.currentScript as HTMLScriptElement | null;
const scriptBase = self?.src;
const nonce = self?.nonce;

function bundleUrl(): string | undefined {
  return scriptBase ? new URL('highlight.js', scriptBase).toString() : undefined;
}

/** The worker, once it has answered a first request; undefined when it cannot start here. */
async function startWorker(url: string): Promise<HighlightFn | undefined> {
  if (typeof Worker !== 'function') return undefined;
  let worker: Worker;
  try {
    const response = await fetch(url);
    if (!response.ok) return undefined;
    const blob = URL.createObjectURL(new Blob([await response.text()], { type: 'text/javascript' }));
    worker = new Worker(blob);
  } catch {
    return undefined;
  }
  const pending = new Map<number, (html: string | undefined) => void>();
  let next = 0;
  const request: HighlightFn = (code, language) =>
    new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      worker.postMessage({ id, code, language } satisfies HighlightRequest);
    });
  worker.onmessage = ({ data }: MessageEvent<HighlightReply>) => {
    pending.get(data.id)?.(data.html);
    pending.delete(data.id);
  };
  // A worker refused by the CSP or broken fails here: what waits is resolved unhighlighted.
  let broken = false;
  const failed = new Promise<undefined>((resolve) => {
    worker.onerror = () => {
      broken = true;
      for (const done of pending.values()) done(undefined);
      pending.clear();
      resolve(undefined);
    };
  });
  return Promise.race([request('', 'plaintext').then(() => (broken ? undefined : request)), failed]);
}

/** The bundle as a page script, with this page's nonce. */
function loadInPage(url: string | undefined): Promise<HighlightFn> {
  const inPage = (fn: ((code: string, language: string) => string | undefined) | undefined): HighlightFn => {
    return async (code, language) => fn?.(code, language);
  };
  return new Promise((resolve) => {
    const existing = (globalThis as { modelChatHighlight?: (code: string, language: string) => string | undefined }).modelChatHighlight;
    if (existing || !url) return resolve(inPage(existing));
    const script = document.createElement('script');
    script.src = url;
    if (nonce) script.nonce = nonce;
    script.onload = () =>
      resolve(inPage((globalThis as { modelChatHighlight?: (c: string, l: string) => string | undefined }).modelChatHighlight));
    script.onerror = () => resolve(inPage(undefined));
    document.head.append(script);
  });
}

function load(): Promise<HighlightFn> {
  const url = bundleUrl();
  engine ??= (url ? startWorker(url) : Promise.resolve(undefined)).then((worker) => worker ?? loadInPage(url));
  return engine;
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
  const html = await (await load())(code, language);
  cache.set(key, html);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return html;
}
