import type { MessageSnapshot } from '../../shared/protocol';
import { BATCH } from './batchSize';

/**
 * How far above the screen older messages are rendered ahead, in screens of the list's scroll height. Items
 * not yet seen count at their guessed height (`contain-intrinsic-size`, far below a real answer's), so the
 * real distance is several times this: holding Page Up (30 presses a second, most of a screen each) drains
 * it more slowly than idle time refills it.
 */
const AHEAD_SCREENS = 8;
/** Idle time left under which an idle step stops: a message takes about a millisecond to build. */
const IDLE_MARGIN_MS = 3;
/**
 * Holding a key, every frame has work and the browser may find no idle period at all: a step then runs
 * anyway after this long, with STARVED_BUDGET_MS to spend, short of a long task.
 */
const IDLE_TIMEOUT_MS = 100;
const STARVED_BUDGET_MS = 8;

/** Runs `fn` in the next idle period (or after IDLE_TIMEOUT_MS) with the time until which it may work. */
const idle = (fn: (until: number) => void): (() => void) => {
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(
      (d) => fn(performance.now() + (d.didTimeout ? STARVED_BUDGET_MS : d.timeRemaining() - IDLE_MARGIN_MS)),
      { timeout: IDLE_TIMEOUT_MS },
    );
    return () => cancelIdleCallback(handle);
  }
  const handle = setTimeout(() => fn(performance.now() + STARVED_BUDGET_MS), 0);
  return () => clearTimeout(handle);
};

/**
 * Renders a long conversation a batch at a time, newest first. Opening 1,000 messages renders the newest
 * BATCH; the rest stay as snapshots. Once the user scrolls up (`wanted`), idle time renders older ones ahead,
 * a few at a time within each idle period, until AHEAD_SCREENS are above the screen, so scrolling up finds
 * them already there. If the user still gets within a screen of the top (a scrollbar dragged up), a sentinel
 * there puts a batch in at once. Items go in before the
 * rendered ones with the scroll position moved by the height they add, so what the user reads stays put.
 */
export class OlderMessages {
  /** Not rendered yet, oldest first. */
  private snapshots: MessageSnapshot[] = [];
  private readonly sentinel: HTMLElement;
  private readonly observer: IntersectionObserver;
  private cancelIdle: (() => void) | undefined;

  constructor(
    private readonly list: HTMLElement,
    private readonly render: (message: MessageSnapshot) => HTMLElement,
    /** Told of each batch once it is in the document, with the item that was first before it went in. */
    private readonly inserted: (elements: HTMLElement[], reading?: Element) => void,
    /** Whether the user is reading back (not pinned to the newest): only then is rendering ahead worth it. */
    private readonly wanted: () => boolean,
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
    list.addEventListener('scroll', () => this.scheduleAhead(), { passive: true });
  }

  get count(): number {
    return this.snapshots.length;
  }

  /** Renders the newest batch at the end of the list (which the caller has emptied) and keeps the rest. */
  reset(messages: MessageSnapshot[]): void {
    this.cancelIdle?.();
    this.cancelIdle = undefined;
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
    this.insert(BATCH);
    this.rearm();
  }

  /** Renders the newest `count` of the snapshots above what is rendered, keeping the view where it was. */
  private insert(count: number, until = Infinity): void {
    const { scrollTop, scrollHeight } = this.list;
    const reading = this.sentinel.nextElementSibling ?? undefined;
    const elements: HTMLElement[] = [];
    while (this.snapshots.length && elements.length < count) {
      elements.push(this.render(this.snapshots.pop()!));
      if (performance.now() >= until) break;
    }
    elements.reverse();
    this.sentinel.after(...elements);
    this.sentinel.hidden = !this.snapshots.length;
    this.list.scrollTop = scrollTop + this.list.scrollHeight - scrollHeight;
    this.inserted(elements, reading);
  }

  private scheduleAhead(): void {
    if (this.cancelIdle || !this.snapshots.length || !this.wanted()) return;
    this.cancelIdle = idle((until) => {
      this.cancelIdle = undefined;
      // The list hidden (the history panel open) has no height to measure: nothing is needed then.
      if (!this.snapshots.length || !this.wanted() || !this.list.clientHeight) return;
      if (this.list.scrollTop >= AHEAD_SCREENS * this.list.clientHeight) return;
      if (performance.now() < until) this.insert(BATCH, until);
      this.rearm();
      // Each idle period gets one step: the next is posted for the next period, after a frame has shown this one.
      this.scheduleAhead();
    });
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
