import { codicon, el, iconButton, textButton } from '../dom';

const HIDE_AFTER_MS = 10_000;

/**
 * One short message above the message box ("Deleted “x”. Undo"), with at most one action. It goes away by
 * itself after a while, but never under the pointer or the keyboard: an Undo must not vanish mid-reach.
 */
export class NoticeBar {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private hovered = false;

  /** `afterHide` gets whether focus was inside the bar, so the page can put it somewhere useful. */
  constructor(
    private readonly onAction: (id: string) => void,
    private readonly afterHide: (hadFocus: boolean) => void,
  ) {
    // The live region stays in the DOM (only its content changes), or screen readers miss the first notice.
    this.element = el('div', 'notice-bar');
    this.element.setAttribute('role', 'status');
    this.body = el('div', 'notice');
    this.body.hidden = true;
    this.element.append(this.body);
    this.element.addEventListener('mouseenter', () => {
      this.hovered = true;
      clearTimeout(this.timer);
    });
    this.element.addEventListener('mouseleave', () => {
      this.hovered = false;
      this.schedule();
    });
    this.element.addEventListener('focusin', () => clearTimeout(this.timer));
    this.element.addEventListener('focusout', (e) => {
      if (!this.element.contains(e.relatedTarget as Node | null)) this.schedule();
    });
  }

  show(text: string, action?: { label: string; id: string }): void {
    const parts: Node[] = [codicon('info'), el('span', 'notice-text', text)];
    if (action) {
      const button = textButton(action.label, 'notice-action');
      button.addEventListener('click', () => {
        this.hide();
        this.onAction(action.id);
      });
      parts.push(button);
    }
    const dismiss = iconButton('Dismiss', 'close');
    dismiss.addEventListener('click', () => this.hide());
    parts.push(dismiss);
    this.body.replaceChildren(...parts);
    this.body.hidden = false;
    this.schedule();
  }

  /** Whether `text` is the notice on show. */
  showing(text: string): boolean {
    return !this.body.hidden && this.body.querySelector('.notice-text')?.textContent === text;
  }

  hide(): void {
    clearTimeout(this.timer);
    if (this.body.hidden) return;
    const hadFocus = this.element.contains(document.activeElement);
    this.body.hidden = true;
    this.body.replaceChildren();
    this.afterHide(hadFocus);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.body.hidden || this.hovered || this.element.contains(document.activeElement)) return;
    this.timer = setTimeout(() => this.hide(), HIDE_AFTER_MS);
  }
}
