import type { MessageSnapshot } from '../../shared/protocol';
import { BATCH } from './batchSize';

/**
 * Renders a long conversation a batch at a time, newest first. Opening 1,000 messages renders the newest
 * BATCH; the rest stay as snapshots until a sentinel above the rendered items comes within a screen of the
 * top, and the previous batch is put in before them with the scroll position moved by the height they add,
 * so what the user was reading stays where it was.
 */
export class OlderMessages {
  /** Not rendered yet, oldest first. */
  private snapshots: MessageSnapshot[] = [];
  private readonly sentinel: HTMLElement;
  private readonly observer: IntersectionObserver;

  constructor(
    private readonly list: HTMLElement,
    private readonly render: (message: MessageSnapshot) => HTMLElement,
    /** Told of each batch once it is in the document, with the item that was first before it went in. */
    private readonly inserted: (elements: HTMLElement[], reading?: Element) => void,
  ) {
    this.sentinel = document.createElement('div');
    this.sentinel.className = 'older-sentinel';
    this.sentinel.setAttribute('aria-hidden', 'true');
    this.sentinel.hidden = true;
    list.append(this.sentinel);
    this.observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) this.showMore();
      },
      { root: list, rootMargin: '100% 0px 0px 0px' },
    );
    this.observer.observe(this.sentinel);
  }

  get count(): number {
    return this.snapshots.length;
  }

  /** Renders the newest batch at the end of the list (which the caller has emptied) and keeps the rest. */
  reset(messages: MessageSnapshot[]): void {
    const start = Math.max(0, messages.length - BATCH);
    this.snapshots = messages.slice(0, start);
    const elements = messages.slice(start).map(this.render);
    this.list.append(...elements);
    this.inserted(elements);
    this.rearm();
  }

  /** Folds a live update into a message that is not rendered yet. */
  update(id: string, change: (message: MessageSnapshot) => MessageSnapshot): void {
    const i = this.snapshots.findIndex((m) => m.id === id);
    if (i >= 0) this.snapshots[i] = change(this.snapshots[i]);
  }

  private showMore(): void {
    if (!this.snapshots.length) return;
    const batch = this.snapshots.splice(-BATCH);
    const { scrollTop, scrollHeight } = this.list;
    const reading = this.sentinel.nextElementSibling ?? undefined;
    const elements = batch.map(this.render);
    this.sentinel.after(...elements);
    this.sentinel.hidden = !this.snapshots.length;
    this.list.scrollTop = scrollTop + this.list.scrollHeight - scrollHeight;
    this.inserted(elements, reading);
    this.rearm();
  }

  /**
   * A fresh observation: an observer only reports changes, and after a short batch the sentinel may still
   * be in range, which must load the next one too.
   */
  private rearm(): void {
    this.sentinel.hidden = !this.snapshots.length;
    this.observer.unobserve(this.sentinel);
    if (this.snapshots.length) this.observer.observe(this.sentinel);
  }
}
