import { codicon, el } from '../dom';

const LABEL = 'Undo changes of this answer';

/**
 * "Undo changes of this answer" under each answer whose accepted changes the host can still restore. The
 * message views are the list's; this only adds (and removes) its own button in the answers the host names,
 * and watches the list for answers drawn later (a reload, older messages scrolled in) only while there are any.
 */
export class TurnUndoButtons {
  private turns = new Map<string, string[]>();
  private readonly observer = new MutationObserver(() => this.place());

  constructor(
    private readonly list: HTMLElement,
    private readonly undo: (messageId: string) => void,
  ) {}

  show(turns: ReadonlyArray<{ messageId: string; files: string[] }>): void {
    this.turns = new Map(turns.map((t) => [t.messageId, t.files]));
    for (const button of this.list.querySelectorAll<HTMLElement>('[data-undo-turn]')) {
      if (!this.turns.has(button.dataset.undoTurn ?? '')) button.remove();
    }
    this.observer.disconnect();
    if (this.turns.size === 0) return;
    this.place();
    this.observer.observe(this.list, { childList: true, subtree: true });
  }

  private place(): void {
    for (const [id, files] of this.turns) {
      const first = this.list.querySelector<HTMLElement>(`article[data-role="assistant"][data-id="${CSS.escape(id)}"]`);
      if (!first) continue;
      const article = lastAnswerOfTurn(first);
      const placed = this.list.querySelector<HTMLElement>(`[data-undo-turn="${CSS.escape(id)}"]`);
      if (placed?.parentElement === article) continue;
      // The turn went on (another round of tools): the button moves to its newest answer.
      placed?.remove();
      const button = el('button', 'turn-undo');
      button.type = 'button';
      button.dataset.undoTurn = id;
      button.setAttribute('aria-label', LABEL);
      button.title = `Restore ${files.join(', ')} as before this answer`;
      button.append(codicon('discard'), el('span', undefined, LABEL));
      button.addEventListener('click', () => this.undo(id));
      article.append(button);
    }
  }
}

/**
 * The answer a turn ends with: the record names the turn's first answer, but a round that only asked for tools
 * is not shown (its cards say it all), so the button goes under the last answer before the next question.
 */
function lastAnswerOfTurn(first: HTMLElement): HTMLElement {
  let last = first;
  for (let next = first.nextElementSibling; next && !next.matches('article[data-role="user"]'); next = next.nextElementSibling)
    if (next.matches('article[data-role="assistant"]')) last = next as HTMLElement;
  return last;
}
