/**
 * Coalesces streamed text between the provider and the webview.
 *
 * Posts are spaced a little over 1000/maxPerSecond ms apart (see `spacingMs`), so no one-second window
 * ever holds more than the cap, not even after the trip to the webview. A post is made at once when the gap since the previous one has already passed (so the first token
 * costs no added latency), otherwise when the gap ends. Each post carries only the text added since the
 * previous post and the next sequence number. `close` makes a final post that carries the remaining text
 * and the end of the message, within the same spacing, so the end never adds an extra message.
 */
import { monotonicClock, type MonotonicClock } from '../../shared/clock';

export interface Flush<End> {
  seq: number;
  text: string;
  end?: End;
}

/**
 * The time between two posts for a cap of `maxPerSecond`. 5% wider than 1000/cap: messages reach the
 * webview with a few ms of jitter, and in the real editor two of them bunched enough for the view to see
 * 21 updates in one second at a cap of 20. With the headroom, a window of 1 s holds 21 posts only if the
 * jitter differs by more than 50 ms. Whole ms, rounded up, because fractional gaps add up to under 1 s.
 */
export function spacingMs(maxPerSecond: number): number {
  // A cap below 1 would mean "never"; above 1000 it would mean "every token": both are misconfigurations.
  const cap = Number.isFinite(maxPerSecond) ? Math.min(Math.max(maxPerSecond, 1), 1000) : 20;
  return Math.ceil(1050 / cap);
}

/**
 * When the last post went to the view. Throttles that feed the same view share one (an answer's reasoning
 * and its text, the tool cards of a round), so together they keep the cap rather than each keeping it.
 */
export class Pace {
  last = -Infinity;
}

export class DeltaThrottle<End> {
  private pending = '';
  private seq: number;
  private timer: unknown;
  private end: End | undefined;
  private closed = false;
  private readonly gapMs: number;

  constructor(
    maxPerSecond: number,
    /** Returns false when it sent nothing to the view (an empty last flush): the pace is not used up then. */
    private readonly post: (flush: Flush<End>) => unknown,
    private readonly clock: MonotonicClock = monotonicClock,
    /** The sequence number of the last post already made for this message (0 for a new one). */
    startSeq = 0,
    private readonly pace: Pace = new Pace(),
  ) {
    // A cap below 1 would mean "never"; above 1000 it would mean "every token" — both are misconfigurations.
    this.gapMs = spacingMs(maxPerSecond);
    this.seq = startSeq;
  }

  get lastSeq(): number {
    return this.seq;
  }

  push(text: string): void {
    if (this.closed || text.length === 0) return;
    this.pending += text;
    this.schedule();
  }

  /** Posts whatever is pending plus `end` as the message's last post, respecting the spacing. */
  close(end: End): void {
    if (this.closed) return;
    this.closed = true;
    this.end = end;
    this.schedule();
  }

  /** Drops a scheduled post; used when the listener has gone away for good. */
  dispose(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.closed = true;
    this.end = undefined;
    this.pending = '';
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = this.pace.last + this.gapMs - this.clock.now();
    if (wait <= 0) this.flush();
    else
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        // Node timers can fire a little early against performance.now(): check the time again.
        this.schedule();
      }, wait);
  }

  private flush(): void {
    const end = this.end;
    if (this.pending.length === 0 && end === undefined) return;
    const text = this.pending;
    this.pending = '';
    this.end = undefined;
    const at = this.clock.now();
    if (this.post(end === undefined ? { seq: ++this.seq, text } : { seq: ++this.seq, text, end }) !== false) this.pace.last = at;
  }
}
