import { el, textButton } from '../dom';

const MAX_HEIGHT = 240;

/**
 * A question turned back into its text for editing, in place of its rendered markdown. Enter sends,
 * Shift+Enter adds a line, Escape cancels. Sending empty text is refused here; while a turn runs the
 * editor stays open but cannot send (the host would refuse the new turn anyway): Enter then keeps the text
 * and says so through `refusedWhileBusy`, as the message box does.
 */
export class MessageEditor {
  readonly element: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private busy = false;

  constructor(
    text: string,
    private readonly handlers: {
      send(text: string): void;
      cancel(): void;
      changed?(text: string): void;
      refusedWhileBusy?(): void;
    },
  ) {
    this.element = el('div', 'message-editor');
    this.input = el('textarea');
    this.input.setAttribute('aria-label', 'Edit message');
    this.input.value = text;
    this.input.rows = 1;
    this.sendButton = textButton('Send', 'primary');
    this.sendButton.setAttribute('aria-label', 'Send edited message');
    const cancel = textButton('Cancel');
    const buttons = el('div', 'message-editor-buttons');
    buttons.append(cancel, this.sendButton);
    this.element.append(this.input, buttons);

    this.sendButton.addEventListener('click', () => this.trySend());
    cancel.addEventListener('click', () => this.handlers.cancel());
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.trySend();
      } else if (e.key === 'Escape') {
        e.preventDefault();
        // The list and the composer also listen for Escape (stop a turn): this one only cancels the edit.
        e.stopPropagation();
        this.handlers.cancel();
      }
    });
    this.input.addEventListener('input', () => {
      this.update();
      this.handlers.changed?.(this.input.value);
    });
  }

  /** Call once the editor is in the document: sizing needs layout. */
  focus(): void {
    this.update();
    this.input.focus();
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.update();
  }

  private update(): void {
    this.sendButton.disabled = this.busy || this.input.value.trim() === '';
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, MAX_HEIGHT)}px`;
  }

  private trySend(): void {
    if (this.busy && this.input.value.trim() !== '') return this.handlers.refusedWhileBusy?.();
    if (this.sendButton.disabled) return;
    this.handlers.send(this.input.value);
  }
}
