/**
 * The message box with Send and Stop. Enter sends, Shift+Enter adds a line, Escape stops a running turn.
 * The box is cleared when the text is sent; if the host refuses it (a turn is running), it comes back.
 */
export class Composer {
  readonly element: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private busy = false;

  constructor(
    private readonly handlers: { send(text: string): void; stop(): void; draftChanged(text: string): void },
    draft = '',
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
    const buttons = document.createElement('div');
    buttons.className = 'buttons';
    buttons.append(this.sendButton, this.stopButton);
    this.element.append(this.input, buttons);

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
      }
    });
    this.input.addEventListener('input', () => {
      this.autosize();
      this.handlers.draftChanged(this.input.value);
    });
    queueMicrotask(() => this.autosize());
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

  private trySend(): void {
    const text = this.input.value;
    if (this.busy || text.trim() === '') return;
    this.handlers.send(text);
    this.input.value = '';
    this.autosize();
    this.handlers.draftChanged('');
  }

  private autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 240)}px`;
  }
}

function iconButton(label: string, icon: string): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-label', label);
  button.title = label;
  button.className = 'icon-button';
  button.innerHTML = `<span class="codicon codicon-${icon}" aria-hidden="true"></span>`;
  return button;
}
