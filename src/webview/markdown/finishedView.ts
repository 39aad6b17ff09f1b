import type { Markdown, MarkdownView } from './markdown';

/**
 * A message that arrives complete (reopened from history) is final: one `md.render` of its text, none of
 * the incremental renderer's block tracking, which made building an older batch three times slower
 * (bench/history.ts). The DOM is the same: markdown-it's render, then the elements handed to `onRendered`
 * (code blocks get decorated). Like a finished incremental view, it takes no more text once finished.
 */
export class FinishedMarkdownView implements MarkdownView {
  private source = '';
  private finished = false;

  constructor(
    private readonly md: Markdown,
    private readonly element: HTMLElement,
    private readonly onRendered: (elements: Element[]) => void = () => {},
  ) {}

  get text(): string {
    return this.source;
  }

  append(text: string): void {
    if (!this.finished) this.source += text;
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.element.innerHTML = this.md.render(this.source);
    this.onRendered(Array.from(this.element.children));
  }
}
