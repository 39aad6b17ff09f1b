import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FramePacer, MAX_INTERVAL_MS, PACE, type PacerClock } from '../../src/webview/messages/framePacer';

/**
 * A page's clock by hand: `frameCost` is what the next frame takes between its animation callbacks and the
 * task after it (style, layout, paint), `drawCost` what drawing the text takes.
 */
class FakePage implements PacerClock {
  t = 0;
  frameCost = 2;
  drawCost = 0.5;
  private frames: Array<() => void> = [];
  private tasks: Array<() => void> = [];
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now = () => this.t;
  frame = (fn: () => void) => void this.frames.push(fn);
  afterFrame = (fn: () => void) => void this.tasks.push(fn);
  after = (ms: number, fn: () => void) => {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => void (timer.live = false);
  };
  /** Draws a frame: its callbacks, then its cost, then the tasks queued behind it. */
  drawFrame(): void {
    const frames = this.frames.splice(0);
    for (const fn of frames) fn();
    this.t += this.frameCost;
    for (const fn of this.tasks.splice(0)) fn();
  }
  /** Lets time pass, firing timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.t = next.at;
      next.live = false;
      next.fn();
    }
    this.t = end;
  }
}

function setup(page: FakePage) {
  const draws: number[] = [];
  const pacer = new FramePacer(() => {
    draws.push(page.t);
    page.t += page.drawCost;
  }, page);
  return { pacer, draws };
}

/** One update every 50 ms (the host's pace), each followed by the frame that draws it if there is one. */
function stream(page: FakePage, pacer: FramePacer, updates: number): void {
  for (let i = 0; i < updates; i++) {
    pacer.request();
    page.drawFrame();
    page.advance(50 - page.frameCost);
  }
}

test('while frames are cheap, every update is drawn the moment it arrives', () => {
  const page = new FakePage();
  const { pacer, draws } = setup(page);
  stream(page, pacer, 20);
  assert.equal(draws.length, 20);
  assert.equal(pacer.intervalMs, 0);
});

test('the first update is drawn at once even after slow frames, and later ones wait for the slow frames to leave room', () => {
  const page = new FakePage();
  page.frameCost = 30;
  const { pacer, draws } = setup(page);
  pacer.request();
  assert.deepEqual(draws, [0], 'the first update is drawn at once');
  stream(page, pacer, 40);
  // Frames cost 30.5 ms: a draw at most every ~122 ms, not every 50.
  const gaps = draws.slice(1).map((t, i) => t - draws[i]);
  assert.ok(Math.min(...gaps.slice(2)) >= 30.5 * PACE - 1, `gaps ${gaps.join(', ')}`);
  assert.ok(draws.length < 41 / 2, `${draws.length} draws for 41 updates`);
  assert.ok(pacer.intervalMs > 100 && pacer.intervalMs <= MAX_INTERVAL_MS, String(pacer.intervalMs));
});

test('however slow the frames, text is drawn at least every MAX_INTERVAL_MS', () => {
  const page = new FakePage();
  page.frameCost = 400;
  const { pacer, draws } = setup(page);
  stream(page, pacer, 30);
  const gaps = draws.slice(1).map((t, i) => t - draws[i]);
  assert.ok(Math.max(...gaps) <= MAX_INTERVAL_MS + 400 + 50, `gaps ${gaps.join(', ')}`);
  assert.equal(pacer.intervalMs, MAX_INTERVAL_MS);
});

test('when frames get cheap again, updates are drawn at once again', () => {
  const page = new FakePage();
  page.frameCost = 40;
  const { pacer, draws } = setup(page);
  stream(page, pacer, 20);
  page.frameCost = 2;
  stream(page, pacer, 20);
  const before = draws.length;
  stream(page, pacer, 10);
  assert.equal(draws.length - before, 10);
});

test('flush draws at once, and cancel forgets a draw that was waiting', () => {
  const page = new FakePage();
  page.frameCost = 30;
  const { pacer, draws } = setup(page);
  pacer.request();
  page.drawFrame();
  pacer.request();
  assert.equal(draws.length, 1, 'waits for the slow frame');
  pacer.flush();
  assert.equal(draws.length, 2, 'flushed');
  page.drawFrame();
  pacer.request();
  pacer.cancel();
  page.advance(1000);
  assert.equal(draws.length, 2, 'cancelled');
});

test('restart (the list replaced) forgets what the old page cost: the new answer is drawn at every update from the start', () => {
  const page = new FakePage();
  page.frameCost = 60;
  const { pacer, draws } = setup(page);
  stream(page, pacer, 10);
  assert.ok(pacer.intervalMs > 200, `slow frames: paced (${pacer.intervalMs} ms)`);
  // A draw whose frame is still to be measured when the list is replaced: that frame (60 ms again) is the
  // old page's and the replacement's, and must not count.
  pacer.flush();
  pacer.restart();
  page.drawFrame();
  assert.equal(pacer.intervalMs, 0);
  page.frameCost = 2;
  const before = draws.length;
  stream(page, pacer, 10);
  assert.equal(draws.length - before, 10, 'every update drawn at once');
});
