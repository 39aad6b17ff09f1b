import { iconButton } from '../dom';

/** What a message's toolbar asks the page to do; the host does the work (clipboard, new turn). */
export interface MessageActions {
  copy(id: string): void;
  edit(id: string, text: string): void;
  regenerate(id: string): void;
  /** Asks the model to go on with an answer cut at the token limit. */
  continue?(id: string): void;
  /** The text of an open inline edit as it changes (undefined once it closes), so a reload can bring it back. */
  editChanged?(id: string, text: string | undefined): void;
  /** Enter in an open edit while an answer is being written: nothing is sent, the page says why. */
  editRefusedWhileBusy?(): void;
}

/**
 * The small row of icon buttons on a message (outside `.markdown`, so no `data-ui` is needed). Shown on
 * hover or focus by CSS, but always in the tab order. Edit and Regenerate start a new turn, so they are
 * hidden while one runs; which answer may be regenerated is the list's decision, not the message's.
 */
export class MessageToolbar {
  readonly element: HTMLElement;
  private readonly editButton: HTMLButtonElement | undefined;
  private readonly regenerateButton: HTMLButtonElement | undefined;
  private busy = false;
  private canRegenerate = false;

  constructor(role: 'user' | 'assistant', handlers: { copy(): void; edit(): void; regenerate(): void }) {
    this.element = document.createElement('div');
    this.element.className = 'message-actions';
    const copy = iconButton('Copy', 'copy', 'icon-button message-action');
    copy.addEventListener('click', () => {
      handlers.copy();
      flashCopied(copy);
    });
    this.element.append(copy);
    if (role === 'user') {
      this.editButton = iconButton('Edit', 'edit', 'icon-button message-action');
      this.editButton.addEventListener('click', () => handlers.edit());
      this.element.append(this.editButton);
    } else {
      this.regenerateButton = iconButton('Regenerate', 'refresh', 'icon-button message-action');
      this.regenerateButton.addEventListener('click', () => handlers.regenerate());
      this.element.append(this.regenerateButton);
    }
    this.render();
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.render();
  }

  setCanRegenerate(can: boolean): void {
    this.canRegenerate = can;
    this.render();
  }

  focusEdit(): void {
    this.editButton?.focus();
  }

  private render(): void {
    if (this.editButton) show(this.editButton, !this.busy);
    if (this.regenerateButton) show(this.regenerateButton, !this.busy && this.canRegenerate);
  }
}

function show(button: HTMLButtonElement, visible: boolean): void {
  button.hidden = !visible;
  button.disabled = !visible;
}

/** The copy itself happens in the host, out of sight: a moment of check mark says it was done. */
function flashCopied(button: HTMLButtonElement): void {
  const icon = button.querySelector('.codicon');
  if (!icon || icon.classList.contains('codicon-check')) return;
  icon.classList.replace('codicon-copy', 'codicon-check');
  setTimeout(() => icon.classList.replace('codicon-check', 'codicon-copy'), 1200);
}
