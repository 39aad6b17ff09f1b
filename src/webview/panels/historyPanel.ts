import type { HistoryItem } from '../../shared/protocol';
import { el, iconButton, keepingFocus } from '../dom';
import { relativeTime } from '../relativeTime';

export interface HistoryActions {
  /** Asks the host for the list (an empty query lists everything). */
  search(query: string): void;
  open(id: string): void;
  /** Opens it in an editor tab (moving it there when this view shows it). */
  openInEditor(id: string): void;
  rename(id: string, title: string): void;
  remove(id: string): void;
  /** The panel opened or closed (the header's toggle follows it). */
  openChanged(open: boolean): void;
}

const SEARCH_DELAY_MS = 200;

/**
 * Past conversations, in place of the message list while open (the list stays in the DOM, hidden by CSS).
 * The host does the searching; the panel only asks, debounced, and shows the newest answer it asked for.
 */
export class HistoryPanel {
  readonly element: HTMLElement;
  private readonly searchBox: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly emptyText: HTMLElement;
  private items: HistoryItem[] = [];
  private activeId: string | undefined;
  /** The query last asked for: replies to older ones are dropped, they would flash stale rows. */
  private query = '';
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly actions: HistoryActions) {
    this.element = el('section', 'history-panel');
    this.element.hidden = true;
    this.element.setAttribute('aria-label', 'Conversation history');
    const back = iconButton('Close history', 'arrow-left');
    back.addEventListener('click', () => this.close());
    this.searchBox = el('input', 'history-search');
    this.searchBox.type = 'search';
    this.searchBox.placeholder = 'Search conversations';
    this.searchBox.setAttribute('aria-label', 'Search conversations');
    this.searchBox.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.ask(this.searchBox.value), SEARCH_DELAY_MS);
    });
    const top = el('div', 'history-top');
    top.append(back, this.searchBox);
    this.list = el('ul', 'history-list');
    this.list.setAttribute('role', 'list');
    this.emptyText = el('p', 'history-empty');
    this.emptyText.setAttribute('role', 'status');
    this.element.append(top, this.list, this.emptyText);
    this.element.addEventListener('keydown', (e) => this.onKey(e));
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  open(): void {
    if (this.isOpen) return;
    this.element.hidden = false;
    this.searchBox.value = '';
    this.ask('');
    this.actions.openChanged(true);
    this.searchBox.focus();
  }

  close(): void {
    if (!this.isOpen) return;
    clearTimeout(this.timer);
    this.element.hidden = true;
    this.actions.openChanged(false);
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }

  /** The host's list. Kept while closed too, so reopening shows something at once. */
  show(items: HistoryItem[], query: string, activeId: string | undefined): void {
    if (query.trim() !== this.query) return;
    this.items = items;
    this.activeId = activeId;
    this.render();
  }

  private ask(raw: string): void {
    this.query = raw.trim();
    this.actions.search(this.query);
  }

  private render(): void {
    const now = Date.now();
    keepingFocus(this.list, 'data-id', this.searchBox, () => this.list.replaceChildren(...this.items.map((item) => this.row(item, now))));
    this.updateEmpty();
  }

  private updateEmpty(): void {
    const none = this.items.length === 0;
    this.emptyText.hidden = !none;
    this.emptyText.textContent = !none ? '' : this.query ? `No conversations match “${this.query}”.` : 'No conversations yet.';
  }

  private row(item: HistoryItem, now: number): HTMLElement {
    const li = el('li', 'history-item');
    li.setAttribute('role', 'listitem');
    li.dataset.id = item.id;
    if (item.id === this.activeId) li.setAttribute('aria-current', 'true');
    const title = el('button', 'history-title', item.title);
    title.type = 'button';
    title.title = item.title;
    title.addEventListener('click', () => {
      this.actions.open(item.id);
      this.close();
    });
    // Each part stays whole; at sidebar widths the line wraps between them rather than cutting one off.
    const meta = el('div', 'history-meta');
    const parts = [relativeTime(item.updatedAt, now), item.model, `${item.messageCount} message${item.messageCount === 1 ? '' : 's'}`];
    parts.filter((p): p is string => !!p).forEach((p, i) => meta.append(i ? ' · ' : '', el('span', undefined, p)));
    if (item.busy) meta.append(' · ', el('span', 'history-busy', 'answering…'));
    const main = el('div', 'history-main');
    main.append(title, meta);
    if (item.snippet) main.append(snippet(item.snippet, this.query));
    const inEditor = iconButton('Open in editor', 'link-external');
    inEditor.addEventListener('click', () => {
      this.actions.openInEditor(item.id);
      this.close();
    });
    const rename = iconButton('Rename', 'edit');
    rename.addEventListener('click', () => this.startRename(item, title));
    const remove = iconButton('Delete', 'trash');
    remove.addEventListener('click', () => this.remove(item, li));
    const tools = el('div', 'history-actions');
    tools.append(inEditor, rename, remove);
    li.append(main, tools);
    return li;
  }

  private startRename(item: HistoryItem, title: HTMLButtonElement): void {
    const input = el('input', 'history-rename');
    input.value = item.title;
    input.setAttribute('aria-label', 'Conversation title');
    let done = false;
    const finish = (commit: boolean, refocus: boolean) => {
      if (done) return;
      done = true;
      const text = input.value.trim();
      if (commit && text && text !== item.title) {
        item.title = text;
        title.textContent = text;
        title.title = text;
        this.actions.rename(item.id, text);
      }
      input.replaceWith(title);
      if (refocus) title.focus();
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === 'Escape') {
        // Escape here only cancels the rename; it must not also close the panel.
        e.preventDefault();
        e.stopPropagation();
        finish(e.key === 'Enter', true);
      }
    });
    input.addEventListener('blur', () => finish(true, false));
    title.replaceWith(input);
    input.focus();
    input.select();
  }

  /** The row goes at once; the host answers with a notice that can undo it. */
  private remove(item: HistoryItem, li: HTMLElement): void {
    const next = (li.nextElementSibling ?? li.previousElementSibling)?.querySelector<HTMLElement>('.history-title');
    this.items = this.items.filter((i) => i !== item);
    li.remove();
    this.updateEmpty();
    (next ?? this.searchBox).focus();
    this.actions.remove(item.id);
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.preventDefault();
      this.close();
      return;
    }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    // Arrows step through the titles (and from the search box into the list), like a list in VS Code.
    const titles = [...this.list.querySelectorAll<HTMLElement>('.history-title')];
    const at = titles.indexOf(document.activeElement as HTMLElement);
    const fromSearch = document.activeElement === this.searchBox;
    if (at < 0 && !fromSearch) return;
    const to = fromSearch ? (e.key === 'ArrowDown' ? 0 : -1) : at + (e.key === 'ArrowDown' ? 1 : -1);
    e.preventDefault();
    if (to < 0) this.searchBox.focus();
    else titles[Math.min(to, titles.length - 1)]?.focus();
  }
}

/** The search snippet with the query's occurrences marked (built from text nodes: the snippet is data). */
function snippet(text: string, query: string): HTMLElement {
  const line = el('div', 'history-snippet');
  const needle = query.toLowerCase();
  if (!needle) {
    line.textContent = text;
    return line;
  }
  const hay = text.toLowerCase();
  let from = 0;
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, from)) {
    line.append(text.slice(from, at), el('mark', undefined, text.slice(at, at + needle.length)));
    from = at + needle.length;
  }
  line.append(text.slice(from));
  return line;
}
