import MarkdownIt from 'markdown-it';

/**
 * The one markdown-it configuration used for every render. Raw HTML from the model is never rendered
 * (`html: false`); markdown-it's own link validation already refuses javascript:, vbscript:, file: and
 * most data: URLs.
 */
export function createMarkdown() {
  return new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
}

export type Markdown = ReturnType<typeof createMarkdown>;

/** Renders a streamed message into its `.markdown` element as text arrives. */
export interface MarkdownView {
  append(text: string): void;
  /** The message is complete: render its final form. */
  finish(): void;
  readonly text: string;
}

/**
 * Re-renders the whole text on every update. Simple and always right; its cost grows with the answer,
 * which the throttle keeps to at most a few renders a second.
 */
export class FullRenderMarkdownView implements MarkdownView {
  private source = '';
  constructor(
    private readonly md: Markdown,
    private readonly element: HTMLElement,
  ) {}

  get text(): string {
    return this.source;
  }

  append(text: string): void {
    if (!text) return;
    this.source += text;
    this.element.innerHTML = this.md.render(this.source);
  }

  finish(): void {
    this.element.innerHTML = this.md.render(this.source);
  }
}
