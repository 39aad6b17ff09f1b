import { codicon, el } from '../dom';

/**
 * The model's reasoning above its answer: a `<details>` closed by default, outside `.markdown` (it is not
 * the answer). The text is model output, so it only ever goes in as a Text node; streaming appends to that
 * one node, which costs nothing while the details are closed (closed content is not laid out).
 */
export class ThinkingView {
  readonly element: HTMLDetailsElement;
  private readonly summary: HTMLElement;
  private readonly text: Text;
  private active: boolean | undefined;

  constructor() {
    this.element = el('details', 'thinking');
    this.summary = el('summary');
    const body = el('div', 'thinking-body');
    this.text = document.createTextNode('');
    body.append(this.text);
    this.element.append(this.summary, body);
  }

  append(text: string): void {
    this.text.appendData(text);
  }

  /** Active while the model is still reasoning: a spinner and "Thinking…"; afterwards a quiet label. */
  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    this.summary.replaceChildren(
      ...(active
        ? [codicon('loading codicon-modifier-spin'), el('span', undefined, 'Thinking…')]
        : [codicon('lightbulb'), el('span', undefined, 'Thinking')]),
    );
  }
}
