/**
 * Keeps what the user is reading in place while items change height. Finished messages use
 * `content-visibility: auto`, so an item's height is a guess until it first comes near the screen, and a
 * batch of older messages goes in above with guessed heights; when the real heights arrive, everything
 * below would move. The list has `overflow-anchor: none` (the browser's anchoring fought the pinning, and
 * it never anchors at scroll offset 0, which is where older batches go in), so this is scroll anchoring
 * done by hand: remember the first item on screen and its offset, and after a change of size put it back.
 * ResizeObserver runs after layout and before paint, so the correction is never seen. Pinned, the list
 * just stays at the bottom.
 */
export class ScrollKeeper {
  private readonly observer: ResizeObserver;
  private anchor: { item: Element; offset: number } | undefined;
  /** Set while an anchor we were given holds: the scroll position we left, whose scroll event is ours. */
  private ownScrollTop: number | undefined;

  constructor(
    private readonly list: HTMLElement,
    private readonly pinned: () => boolean,
  ) {
    this.observer = new ResizeObserver(() => this.restore());
    // The list's own size too: a resized panel, or the list shown again after being hidden, stays pinned.
    this.observer.observe(list);
    list.addEventListener(
      'scroll',
      () => {
        // Pinned, no anchor is used (the list just stays at the bottom), and measuring one laid the page out
        // in the frame after every streamed update (its scroll event). Once unpinned, it is taken afresh.
        if (this.pinned()) this.anchor = undefined;
        else if (this.list.scrollTop !== this.ownScrollTop) this.remember();
      },
      { passive: true },
    );
  }

  observe(item: Element): void {
    this.observer.observe(item);
  }

  unobserve(item: Element): void {
    this.observer.unobserve(item);
  }

  /**
   * Takes what is at the top now as what must stay there: after the user scrolls, or after we moved things.
   * `item` names it when the first one on screen is not what the user reads: right after a batch went in
   * above, the item partly on screen is one of the new ones, still at its guessed height.
   */
  remember(item?: Element): void {
    const top = this.list.getBoundingClientRect().top;
    this.ownScrollTop = item ? this.list.scrollTop : undefined;
    item ??= this.firstOnScreen(top);
    this.anchor = item && { item, offset: item.getBoundingClientRect().top - top };
  }

  private restore(): void {
    if (this.pinned()) {
      this.list.scrollTop = this.list.scrollHeight;
      return;
    }
    if (!this.anchor?.item.isConnected) return this.remember();
    const moved = this.anchor.item.getBoundingClientRect().top - this.list.getBoundingClientRect().top - this.anchor.offset;
    if (moved) this.list.scrollTop += moved;
    // A given anchor holds until the user scrolls (the new items may settle over a few frames).
    if (this.ownScrollTop !== undefined) this.ownScrollTop = this.list.scrollTop;
    else this.remember();
  }

  /**
   * The first child whose bottom is below the list's top edge, by bisection (the list may hold a thousand).
   * A hidden child has an all-zero rectangle and so counts as above; the search still ends on a shown one.
   */
  private firstOnScreen(top: number): Element | undefined {
    const children = this.list.children;
    let lo = 0;
    let hi = children.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (children[mid].getBoundingClientRect().bottom <= top) lo = mid + 1;
      else hi = mid;
    }
    return children[lo];
  }
}
