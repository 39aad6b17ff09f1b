import MarkdownIt from 'markdown-it';

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
  // Images from model output are never loaded (a tracking pixel, a huge or cut-off URL): show a link.
  md.renderer.rules.image = (tokens, idx) => {
    const token = tokens[idx];
    const src = String(token.attrGet('src') ?? '');
    const alt = token.children?.map((c) => c.content).join('') || src;
    return `<a href="${md.utils.escapeHtml(src)}" class="image-link" title="Image, not loaded: ${md.utils.escapeHtml(src.slice(0, 200))}">${md.utils.escapeHtml(alt)}</a>`;
  };
  return md;
}

export type Markdown = ReturnType<typeof createMarkdown>;

/** Renders a streamed message into its `.markdown` element as text arrives. */
export interface MarkdownView {
  append(text: string): void;
  /** The message is complete: render its final form. */
  finish(): void;
  readonly text: string;
}
