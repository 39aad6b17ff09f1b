import { iconButton } from '../dom';

/**
 * The message box with Send and Stop. Enter sends, Shift+Enter adds a line, Escape stops a running turn.
 * The box is cleared when the text is sent; if the host refuses it (a turn is running), it comes back. Enter
 * while a turn runs sends nothing and keeps the text; the page says so (`refusedWhileBusy`).
 */
export class Composer {
  readonly element: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly buttons: HTMLElement;
  private busy = false;
  /** Position while stepping through earlier questions with Up/Down; undefined when not recalling. */
  private recalled: number | undefined;

  constructor(
    private readonly handlers: {
      send(text: string): void;
      stop(): void;
      draftChanged(text: string): void;
      sentChanged(sent: string[]): void;
      /** Send was asked for (Enter) while a turn runs: the text stays in the box, and the user should know why. */
      refusedWhileBusy(): void;
    },
    draft = '',
    /** Questions sent before, oldest first (kept in the page state, so they survive a reload). */
    private readonly sent: string[] = [],
    /** Shown above the box, inside the same frame (the context chips), so it reads as part of the question. */
    above?: HTMLElement,
  ) {
    this.element = document.createElement('form');
    this.element.className = 'composer';
    this.input = document.createElement('textarea');
    this.input.setAttribute('aria-label', 'Message');
    this.input.placeholder = 'Ask the model…';
    this.input.rows = 1;
    this.input.value = draft;
    this.sendButton = iconButton('Send', 'send');
    this.stopButton = iconButton('Stop', 'debug-stop');
    this.stopButton.hidden = true;
    const buttons = (this.buttons = document.createElement('div'));
    buttons.className = 'buttons';
    buttons.append(this.sendButton, this.stopButton);
    const row = document.createElement('div');
    row.className = 'input-row';
    row.append(this.input, buttons);
    if (above) this.element.append(above);
    this.element.append(row);

    this.element.addEventListener('submit', (e) => {
      e.preventDefault();
      this.trySend();
    });
    this.sendButton.addEventListener('click', () => this.trySend());
    this.stopButton.addEventListener('click', () => this.handlers.stop());
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.trySend();
      } else if (e.key === 'Escape' && this.busy) {
        e.preventDefault();
        this.handlers.stop();
      } else if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && !e.shiftKey && this.recall(e.key === 'ArrowUp' ? -1 : 1)) {
        e.preventDefault();
      }
    });
    this.input.addEventListener('input', () => {
      this.autosize();
      this.handlers.draftChanged(this.input.value);
    });
    queueMicrotask(() => this.autosize());
  }

  /** A button beside Send (Attach image), before it. */
  addButton(button: HTMLButtonElement): void {
    this.buttons.prepend(button);
  }

  get isBusy(): boolean {
    return this.busy;
  }

  setBusy(busy: boolean): void {
    const wasBusy = this.busy;
    this.busy = busy;
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
    this.stopButton.disabled = !busy;
    if (wasBusy && !busy && document.activeElement === this.stopButton) this.input.focus();
  }

  /** Puts back text the host did not take, unless the user has typed something new meanwhile. */
  restore(text: string): void {
    if (this.input.value.trim() === '') {
      this.input.value = text;
      this.autosize();
      this.handlers.draftChanged(text);
    }
  }

  focus(): void {
    this.input.focus();
  }

  /** Replaces the draft (a `/` command by its prompt's text), the cursor at its end, ready to edit or send. */
  replace(text: string): void {
    this.recalled = undefined;
    this.input.value = text;
    this.autosize();
    this.handlers.draftChanged(text);
    this.input.focus();
    this.input.setSelectionRange(text.length, text.length);
  }

  /**
   * Up in an empty box brings back the last question, and further Ups older ones; Down goes back toward
   * the empty box. Only while the box is empty or shows a recalled question, so editing text is never lost.
   */
  private recall(step: -1 | 1): boolean {
    const showingRecalled = this.recalled !== undefined && this.input.value === this.sent[this.recalled];
    if (!showingRecalled && this.input.value !== '') return false;
    const from = showingRecalled ? this.recalled! : this.sent.length;
    const to = from + step;
    if (to < 0 || (!showingRecalled && step > 0)) return false;
    this.recalled = to < this.sent.length ? to : undefined;
    this.input.value = this.recalled === undefined ? '' : this.sent[this.recalled];
    this.autosize();
    this.handlers.draftChanged(this.input.value);
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
    return true;
  }

  /** Sends text that was not typed (an example question): it joins the questions Up brings back. */
  ask(text: string): boolean {
    if (this.busy || text.trim() === '') return false;
    this.recalled = undefined;
    if (this.sent[this.sent.length - 1] !== text) this.sent.push(text);
    if (this.sent.length > 50) this.sent.splice(0, this.sent.length - 50);
    this.handlers.sentChanged([...this.sent]);
    this.handlers.send(text);
    return true;
  }

  private trySend(): void {
    if (this.busy && this.input.value.trim() !== '') return this.handlers.refusedWhileBusy();
    if (!this.ask(this.input.value)) return;
    this.input.value = '';
    this.autosize();
    this.handlers.draftChanged('');
  }

  private autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 240)}px`;
  }
}
