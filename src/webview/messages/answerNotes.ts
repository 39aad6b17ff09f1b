/** What the page says under an answer beside its text: the pages it cites, and that it was cut short. */
import type { AnswerSource } from '../../shared/protocol';
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

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
