import type { MonotonicClock } from '../../shared/clock';
import { Pace, spacingMs } from './throttle';

/**
 * Coalesces updates that replace each other (tool cards' progress): only the newest value per key is
 * kept, and posts are spaced like the answer's throttle, sharing its `Pace`, so all the cards of a round
 * together stay under the cap. Keys take turns in the order they first became pending, so a busy card
 * cannot starve a quiet one. An urgent update (a state change: running → done) goes out at once and
 * replaces any pending one, so nothing stale follows it. An MCP server may send progress notifications
 * as fast as it likes; the webview sees at most the cap.
 */
export class LatestPerKey<T> {
  private readonly gapMs: number;
  private readonly pending = new Map<string, T>();
  private timer: unknown;

  constructor(
    maxPerSecond: number,
    private readonly post: (key: string, value: T) => void,
    private readonly clock: MonotonicClock,
    private readonly pace: Pace = new Pace(),
  ) {
    this.gapMs = spacingMs(maxPerSecond);
  }

  update(key: string, value: T, urgent = false): void {
    if (urgent) {
      this.pending.delete(key);
      this.send(key, value);
      return;
    }
    this.pending.set(key, value); // an existing key keeps its turn
    this.schedule();
  }

  /** Drops what is pending (the listener has gone away). */
  dispose(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.pending.size === 0) return;
    const wait = this.pace.last + this.gapMs - this.clock.now();
    if (wait > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.schedule(); // checks the time again: another throttle may have posted meanwhile
      }, wait);
      return;
    }
    const [key, value] = this.pending.entries().next().value as [string, T];
    this.pending.delete(key);
    this.send(key, value);
    this.schedule();
  }

  private send(key: string, value: T): void {
    this.pace.last = this.clock.now();
    this.post(key, value);
  }
}
