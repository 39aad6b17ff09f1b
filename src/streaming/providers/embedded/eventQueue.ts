/** Items pushed by callbacks (a worker's messages), taken by one async consumer in order. */
export class EventQueue<T> {
  private items: T[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  push(...items: T[]): void {
    if (this.closed) return;
    this.items.push(...items);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length) {
        const batch = this.items;
        this.items = [];
        yield* batch;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
