/**
 * Two kinds of time, never mixed: a monotonic clock for spacing and durations (performance.now(); it
 * never jumps when the system clock is set) and a wall clock for what is stored and shown (Date.now()).
 * Tests replace either with a fake.
 */

export interface MonotonicClock {
  /** Milliseconds from an arbitrary origin; only differences mean anything. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WallClock {
  /** Milliseconds since the Unix epoch, as stored in conversations and shown as dates. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const monotonicClock: MonotonicClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export const wallClock: WallClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
