/** Two small ways of keeping async work in order, for the conversation store. */

/** Runs `job` one at a time; calls made while it runs share one more run after it (coalesced). */
export class Coalescer {
  private current: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  constructor(private readonly job: () => Promise<void>) {}

  run(): Promise<void> {
    if (!this.current) {
      this.current = this.job().finally(() => (this.current = undefined));
      return this.current;
    }
    this.next ??= this.current
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.run();
      });
    return this.next;
  }
}

/** A FIFO mutex for the operations that change which files exist (list, load, delete, rename, …). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
