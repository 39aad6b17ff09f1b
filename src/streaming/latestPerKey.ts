import { spacingMs, type Clock } from './throttle';

/**
 * Coalesces updates that replace each other (a tool card's progress): per key, at most one post per gap
 * (the same spacing as the answer's throttle), always carrying the newest value. An urgent update (a state
 * change: running → done) goes out at once and replaces any pending one, so nothing stale follows it.
 * An MCP server may send progress notifications as fast as it likes; the webview sees at most the cap.
 */
export class LatestPerKey<T> {
  private readonly gapMs: number;
  private readonly pending = new Map<string, { value: T; timer: unknown }>();
  private readonly lastPost = new Map<string, number>();

  constructor(
    maxPerSecond: number,
    private readonly post: (key: string, value: T) => void,
    private readonly clock: Clock,
  ) {
    this.gapMs = spacingMs(maxPerSecond);
  }

  update(key: string, value: T, urgent = false): void {
    const waiting = this.pending.get(key);
    const wait = (this.lastPost.get(key) ?? -Infinity) + this.gapMs - this.clock.now();
    if (urgent || wait <= 0) {
      if (waiting) this.clock.clearTimeout(waiting.timer);
      this.pending.delete(key);
      this.send(key, value);
      return;
    }
    if (waiting) {
      waiting.value = value;
      return;
    }
    const timer = this.clock.setTimeout(() => {
      const entry = this.pending.get(key);
      this.pending.delete(key);
      if (entry) this.send(key, entry.value);
    }, wait);
    this.pending.set(key, { value, timer });
  }

  /** Drops what is pending (the listener has gone away). */
  dispose(): void {
    for (const { timer } of this.pending.values()) this.clock.clearTimeout(timer);
    this.pending.clear();
  }

  private send(key: string, value: T): void {
    this.lastPost.set(key, this.clock.now());
    this.post(key, value);
  }
}
