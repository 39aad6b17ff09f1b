import type { Markdown, MarkdownView } from '../../src/webview/markdown/markdown';

/**
 * The render benchmark's baseline: re-renders the whole text on every update, as most chat UIs do, so
 * its cost per update grows with the answer. Built into the page in place of the incremental view
 * (pageBundle.ts); it leaves code blocks undecorated, as the page did when this was a switch.
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
