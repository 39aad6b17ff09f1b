import MarkdownIt from 'markdown-it';
import { keepFenceInfo } from './fenceInfo';
import { IncrementalMarkdownView } from './incrementalView';

/**
 * The one markdown-it configuration used for every render, streaming or final. Raw HTML from the model
 * is never rendered (`html: false`); markdown-it's own link validation already refuses javascript:,
 * vbscript:, file: and most data: URLs.
 */
export function createMarkdown() {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
  // Table alignment comes as style="text-align:…", which the webview's CSP (no inline styles) drops.
  const alignToClass: NonNullable<typeof md.renderer.rules.th_open> = (tokens, idx, options, _env, self) => {
    const token = tokens[idx];
    const align = /text-align:(left|center|right)/.exec(String(token.attrGet('style') ?? ''))?.[1];
    if (token.attrs) token.attrs = token.attrs.filter(([name]) => name !== 'style');
    if (align) token.attrJoin('class', `align-${align}`);
    return self.renderToken(tokens, idx, options);
  };
  md.renderer.rules.th_open = alignToClass;
  md.renderer.rules.td_open = alignToClass;
  keepFenceInfo(md);
  // Images from model output are never loaded (a tracking pixel, a huge or cut-off URL): show a link to the
  // image instead. Inside a link (a README badge) an anchor would nest in an anchor, which the HTML parser
  // splits into an empty outer link and a link to the image: there it is a placeholder, and the click goes
  // to the outer link's target.
  md.renderer.rules.image = (tokens, idx) => {
    const token = tokens[idx];
    const src = String(token.attrGet('src') ?? '');
    const alt = md.utils.escapeHtml(token.children?.map((c) => c.content).join('') || src);
    const title = `Image, not loaded: ${md.utils.escapeHtml(src.slice(0, 200))}`;
    if (insideLink(tokens, idx)) return `<span class="image-link" title="${title}">${alt}</span>`;
    return `<a href="${md.utils.escapeHtml(src)}" class="image-link" title="${title}">${alt}</a>`;
  };
  warmUpWhenIdle(md);
  return md;
}

/**
 * markdown-it and linkify-it compile their rules and big regular expressions on first use: 40-60 ms in the
 * page, which fell on the first update of the first answer (a long task, and the first token later).
 * Streaming a small sample into a detached element while the page is idle pays it before anyone waits,
 * and runs the streaming path itself (the fill-in, the tail's morph, the template parse) once, so the first
 * token of a window's first answer does not wait for it to be compiled either (its update took 3 ms in
 * code-server, later ones under 1).
 */
function warmUpWhenIdle(md: InstanceType<typeof MarkdownIt>): void {
  if (typeof requestIdleCallback !== 'function') return;
  requestIdleCallback(() => {
    const view = new IncrementalMarkdownView(md, document.createElement('div'));
    for (const part of WARM_UP.match(/[\s\S]{1,9}/g)!) view.append(part);
    view.finish();
  });
}

const WARM_UP =
  '# A\n\nSome *text*, **bold**, `code`, [a link](https://example.com) and www.example.com.\n\n- one\n- two\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n```js\nx\n```\n> quote\n';

/** Whether the inline token at `idx` sits between a link's open and close tokens. */
function insideLink(tokens: Array<{ type: string }>, idx: number): boolean {
  let depth = 0;
  for (let i = 0; i < idx; i++) {
    if (tokens[i].type === 'link_open') depth++;
    else if (tokens[i].type === 'link_close') depth--;
  }
  return depth > 0;
}

export type Markdown = ReturnType<typeof createMarkdown>;

/** Renders a streamed message into its `.markdown` element as text arrives. */
export interface MarkdownView {
  append(text: string): void;
  /** The message is complete: render its final form. */
  finish(): void;
  readonly text: string;
}
