/**
 * Decides when streamed text goes into the DOM. While the page's frames are cheap, every update is drawn the
 * moment it arrives (the host already sends at most ~20 a second). When a frame that drew an update costs
 * more than a frame's time, updates are drawn less often, so that drawing takes at most about a quarter of
 * the thread: the webview shares its renderer's main thread with the whole workbench, and a frame that is
 * stretched by a busy core or a garbage collection freezes the editor too. Fewer frames, each a little larger
 * (layout and paint cost the page's size more than the new text's), leave the editor room on a slow machine.
 * In code-server on 2 cores with one busy, frames measured 8-10 ms (median), so it seldom engages there.
 *
 * A frame's cost is measured from the page: the update's own work, then from the frame's animation
 * callbacks to the task after the frame (style, layout, paint and commit of every document on the thread).
 */
export interface PacerClock {
  now(): number;
  /** Runs `fn` at the start of the next frame (requestAnimationFrame). */
  frame(fn: () => void): void;
  /** Runs `fn` in a task after the current one, ahead of timers (a MessageChannel message). */
  afterFrame(fn: () => void): void;
  after(ms: number, fn: () => void): () => void;
}

/** A frame that drew an update and cost more than this is slow (one frame at 60 Hz). */
export const SLOW_FRAME_MS = 16;
/** Once frames are slow, an update is drawn at most once per this many frame costs. */
export const PACE = 4;
/** However slow the frames, text is drawn at least this often. */
export const MAX_INTERVAL_MS = 250;
/** How much one measured frame moves the estimate (the rest is the frames before it). */
const WEIGHT = 0.3;

export function browserClock(): PacerClock {
  const channel = new MessageChannel();
  const queue: Array<() => void> = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return {
    now: () => performance.now(),
    frame: (fn) => requestAnimationFrame(() => fn()),
    afterFrame: (fn) => {
      queue.push(fn);
      channel.port2.postMessage(undefined);
    },
    after: (ms, fn) => {
      const handle = setTimeout(fn, ms);
      return () => clearTimeout(handle);
    },
  };
}

export class FramePacer {
  /** The estimated cost of a frame that draws an update, in ms (0 until one is measured). */
  private costMs = 0;
  private lastRun = Number.NEGATIVE_INFINITY;
  private cancelTimer: (() => void) | undefined;
  private measuring = false;
  /** Counts `restart`s: a frame measured before one was another page's. */
  private epoch = 0;

  constructor(
    private readonly draw: () => void,
    private readonly clock: PacerClock = browserClock(),
  ) {}

  /** The least time between two draws now. */
  get intervalMs(): number {
    return this.costMs <= SLOW_FRAME_MS ? 0 : Math.min(MAX_INTERVAL_MS, this.costMs * PACE);
  }

  /** Asks for a draw: at once if the frames leave room, otherwise when they do (one draw for every request until then). */
  request(): void {
    if (this.cancelTimer) return;
    const wait = this.lastRun + this.intervalMs - this.clock.now();
    if (wait <= 0) return this.run();
    this.cancelTimer = this.clock.after(wait, () => {
      this.cancelTimer = undefined;
      this.run();
    });
  }

  /** Draws now, whether or not a draw was waiting (an answer's end, or anything else about to touch the list). */
  flush(): void {
    this.cancel();
    this.run();
  }

  /** Forgets a draw asked for. */
  cancel(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /**
   * The list was replaced (a new chat, another conversation): forgets a draw asked for and what frames cost.
   * Those frames measured another page: a slow one among the last (an answer's end on a busy core) made the
   * next answer's first draws rarer and larger.
   */
  restart(): void {
    this.cancel();
    this.costMs = 0;
    this.lastRun = Number.NEGATIVE_INFINITY;
    this.measuring = false;
    this.epoch++;
  }

  private run(): void {
    const start = this.clock.now();
    this.lastRun = start;
    this.draw();
    const ownMs = this.clock.now() - start;
    // One frame measured at a time: updates that arrive meanwhile are drawn in that same frame.
    if (this.measuring) return;
    this.measuring = true;
    const epoch = this.epoch;
    this.clock.frame(() => {
      const frameStart = this.clock.now();
      this.clock.afterFrame(() => {
        if (epoch !== this.epoch) return;
        this.measuring = false;
        const sample = ownMs + this.clock.now() - frameStart;
        this.costMs = this.costMs ? this.costMs * (1 - WEIGHT) + sample * WEIGHT : sample;
      });
    });
  }
}
