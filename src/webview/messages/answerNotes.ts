/**
 * What the page says under an answer beside its text: the pages it cites, that it was cut short, that the
 * model saw only part of the conversation; and the frame of a compaction's summary.
 */
import type { AnswerNote, AnswerSource } from '../../shared/protocol';
import { codicon, el, textButton } from '../dom';

/**
 * The sources as a numbered list of links, numbered as the text cites them (`[1]` is the first). Links open
 * through the host like every other link in the page; `data-ui` tells the list apart from the model's text.
 */
export function sourcesList(sources: AnswerSource[]): HTMLElement {
  const nav = el('nav', 'sources');
  nav.dataset.ui = 'sources';
  nav.setAttribute('aria-label', 'Sources');
  const heading = el('div', 'sources-heading', 'Sources');
  const list = el('ol');
  for (const source of sources) {
    // Only web pages: the host checks every link again, but a `javascript:` one is never even drawn.
    if (!/^https?:\/\//i.test(source.url)) continue;
    const link = el('a', undefined, source.title || hostOf(source.url));
    link.href = source.url;
    link.title = source.url;
    list.append(el('li'));
    list.lastElementChild!.append(link);
  }
  nav.append(heading, list);
  return nav;
}

/** Under an answer the server cut at its token limit: says so, with Continue. */
export function cutNote(onContinue: () => void): { element: HTMLElement; button: HTMLButtonElement } {
  const box = el('div', 'note cut');
  box.dataset.ui = 'cut';
  box.setAttribute('role', 'note');
  box.append(codicon('warning'), ' ', el('span', undefined, 'The answer stops here: it reached the model’s token limit.'));
  const button = textButton('Continue');
  button.addEventListener('click', () => onContinue());
  box.append(' ', button);
  return { element: box, button };
}

/**
 * Under an answer whose prompt the server cut (it counted fewer prompt tokens than were sent): says so, with
 * the fixes the host offers (raise the context, compact).
 */
export function truncatedNote(note: AnswerNote, onAction: (index: number) => void): HTMLElement {
  const box = el('div', 'note truncated');
  box.dataset.ui = 'truncated';
  box.setAttribute('role', 'note');
  const n = (x: number) => x.toLocaleString('en-US');
  const text = `The model saw only part of the conversation: ${n(note.seen)} of about ${n(note.sent)} tokens. Its beginning was left out, so the answer may miss it.`;
  box.append(codicon('warning'), ' ', el('span', undefined, text));
  note.actions.forEach((action, index) => {
    const button = textButton(action.label);
    button.addEventListener('click', () => onAction(index));
    box.append(' ', button);
  });
  return box;
}

/**
 * A compaction's summary: collapsed under "Summary of earlier messages", with Undo. `body` is the message's
 * `.markdown`, moved inside so the summary's text still streams into it.
 */
export function summaryFrame(body: HTMLElement, covers: number, onUndo: () => void): HTMLElement {
  const details = el('details', 'summary');
  details.dataset.ui = 'summary';
  const title = el('summary', undefined, `Summary of earlier messages (${covers})`);
  details.title = 'The model gets this summary instead of the messages above it; they are kept and shown as they were.';
  const undo = textButton('Undo summary');
  undo.addEventListener('click', () => onUndo());
  details.append(title, body, undo);
  return details;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
