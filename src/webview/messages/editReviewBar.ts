import type { EditReviewInfo } from '../../shared/protocol';
import { codicon, el, keepingFocus, textButton } from '../dom';

export interface EditReviewActions {
  decide(action: 'accept' | 'reject' | 'show' | 'acceptAll' | 'rejectAll', id?: string): void;
}

/**
 * The proposed changes waiting for review, above the message box: one row per change (its file opens the
 * diff again; Accept, Reject) and, with several, Accept all / Reject all. The host owns the list: each
 * post replaces it, and a row goes only when the host says the review ended.
 */
export class EditReviewBar {
  readonly element: HTMLElement;

  constructor(private readonly actions: EditReviewActions) {
    this.element = el('div', 'edit-review-bar');
    this.element.setAttribute('role', 'region');
    this.element.setAttribute('aria-label', 'Proposed changes');
    this.element.hidden = true;
  }

  show(reviews: readonly EditReviewInfo[]): void {
    keepingFocus(this.element, 'data-review', undefined, () => this.render(reviews));
  }

  private render(reviews: readonly EditReviewInfo[]): void {
    this.element.hidden = reviews.length === 0;
    const rows: HTMLElement[] = reviews.map((r) => this.row(r));
    if (reviews.length > 1) {
      const all = el('div', 'edit-review-all');
      all.dataset.review = 'all';
      const acceptAll = textButton('Accept all', 'edit-review-action primary');
      acceptAll.addEventListener('click', () => this.actions.decide('acceptAll'));
      const rejectAll = textButton('Reject all', 'edit-review-action secondary');
      rejectAll.addEventListener('click', () => this.actions.decide('rejectAll'));
      all.append(el('span', 'edit-review-count', `${reviews.length} changes`), acceptAll, rejectAll);
      rows.unshift(all);
    }
    this.element.replaceChildren(...rows);
  }

  private row(review: EditReviewInfo): HTMLElement {
    const row = el('div', 'edit-review');
    row.dataset.review = review.id;
    const file = el('button', 'edit-review-file');
    file.type = 'button';
    file.title = `Show the diff of ${review.file}`;
    file.setAttribute('aria-label', `Show the diff of ${review.file}`);
    file.append(codicon('diff'), el('span', undefined, review.file));
    file.addEventListener('click', () => this.actions.decide('show', review.id));
    const accept = textButton('Accept', 'edit-review-action primary');
    accept.title = `Write the change to ${review.file}`;
    accept.addEventListener('click', () => this.actions.decide('accept', review.id));
    const reject = textButton('Reject', 'edit-review-action secondary');
    reject.title = `Leave ${review.file} as it is`;
    reject.addEventListener('click', () => this.actions.decide('reject', review.id));
    row.append(file, accept, reject);
    if (review.note) {
      const note = el('div', 'edit-review-note', review.note);
      note.prepend(codicon('warning'));
      row.append(note);
    }
    return row;
  }
}
