import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { ChildAbort, Latest, abortError, delay, race, timeoutError } from '../../src/shared/abort';
import { DisposableStore, Disposable, toDisposable } from '../../src/shared/disposable';
import { causes, describeError, errorCode, findCause, messageOf } from '../../src/shared/errors';
import { Emitter } from '../../src/shared/event';
import { estimateTokens } from '../../src/shared/tokens';
import { FakeClock } from './fakeClock';

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;
const settle = () => new Promise((r) => setImmediate(r));

describe('race', () => {
  it('passes the result through and removes its listener once the promise settles', async () => {
    const controller = new AbortController();
    const raced = race(Promise.resolve(42), controller.signal);
    assert.equal(listeners(controller.signal), 1);
    assert.equal(await raced, 42);
    await settle();
    assert.equal(listeners(controller.signal), 0, 'a long-lived signal collects no listeners');
    await assert.rejects(race(Promise.reject(new Error('boom')), controller.signal), /boom/);
    await settle();
    assert.equal(listeners(controller.signal), 0);
  });

  it("rejects with the signal's reason the moment it aborts, and ignores the work's late failure", async () => {
    const controller = new AbortController();
    let fail!: (e: Error) => void;
    const work = new Promise<number>((_, reject) => (fail = reject));
    const raced = race(work, controller.signal);
    const reason = new Error('stopped');
    controller.abort(reason);
    await assert.rejects(raced, (e) => e === reason);
    fail(new Error('late')); // must not surface as an unhandled rejection
    await settle();
  });

  it('rejects at once for a signal already aborted, and is the promise itself without a signal', async () => {
    await assert.rejects(race(new Promise(() => {}), AbortSignal.abort()), { name: 'AbortError' });
    const p = Promise.resolve(1);
    assert.equal(race(p, undefined), p);
  });

  it('abortError wraps a reason that is not an Error', () => {
    const controller = new AbortController();
    controller.abort('because');
    const e = abortError(controller.signal);
    assert.equal(e.name, 'AbortError');
    assert.equal(e.message, 'because');
  });
});

describe('delay', () => {
  it('resolves true after the time on the given clock', async () => {
    const clock = new FakeClock();
    const waited = delay(100, undefined, clock);
    clock.advance(100);
    assert.equal(await waited, true);
  });

  it('resolves false on abort, clears its timer and removes its listener', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const waited = delay(1000, controller.signal, clock);
    assert.equal(clock.pendingTimers, 1);
    controller.abort();
    assert.equal(await waited, false);
    assert.equal(clock.pendingTimers, 0, 'the timer is cleared');
    assert.equal(await delay(10, controller.signal, clock), false, 'an aborted signal ends it at once');
    assert.equal(clock.pendingTimers, 0);

    const other = new AbortController();
    const done = delay(10, other.signal, clock);
    clock.advance(10);
    assert.equal(await done, true);
    assert.equal(listeners(other.signal), 0, 'the listener goes when the time is up');
  });
});

describe('ChildAbort', () => {
  it('follows its parent, with the parent’s reason', () => {
    const parent = new AbortController();
    const child = new ChildAbort(parent.signal);
    const reason = new Error('stop');
    parent.abort(reason);
    assert.equal(child.signal.aborted, true);
    assert.equal(child.signal.reason, reason);
    assert.equal(new ChildAbort(parent.signal).signal.aborted, true, 'a parent already aborted aborts it at once');
  });

  it('aborts on its own without aborting the parent', () => {
    const parent = new AbortController();
    const child = new ChildAbort(parent.signal);
    child.abort();
    assert.equal(child.signal.aborted, true);
    assert.equal(parent.signal.aborted, false);
    assert.equal(listeners(parent.signal), 0);
  });

  it('times out with a TimeoutError, or the reason it is given', async () => {
    const timed = new ChildAbort(undefined, 5);
    const custom = new ChildAbort(undefined, 5, () => 'custom');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(timed.signal.reason.name, 'TimeoutError');
    assert.match(timed.signal.reason.message, /5 ms/);
    assert.equal(custom.signal.reason, 'custom');
  });

  it('dispose detaches it from the parent and clears the timer', async () => {
    const parent = new AbortController();
    const child = new ChildAbort(parent.signal, 5);
    assert.equal(listeners(parent.signal), 1);
    child.dispose();
    assert.equal(listeners(parent.signal), 0);
    await new Promise((r) => setTimeout(r, 30));
    parent.abort();
    assert.equal(child.signal.aborted, false, 'a finished call is never aborted later');
  });

  it('timeoutError names the time in seconds or milliseconds', () => {
    assert.match(timeoutError(60_000).message, /60 s/);
    assert.match(timeoutError(250).message, /250 ms/);
  });
});

describe('Latest', () => {
  it('makes every earlier ticket stale and aborts its signal', () => {
    const latest = new Latest();
    const first = latest.next();
    assert.equal(first.isCurrent(), true);
    const second = latest.next();
    assert.equal(first.isCurrent(), false);
    assert.equal(first.signal.aborted, true);
    assert.equal(second.isCurrent(), true);
    assert.equal(second.signal.aborted, false);
  });
});

describe('errors', () => {
  const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1234'), { code: 'ECONNREFUSED' });
  const wrapped = new Error('Connection error.', { cause: new TypeError('fetch failed', { cause: inner }) });

  it('walks the cause chain, bounded', () => {
    assert.equal([...causes(wrapped)].length, 3);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    assert.equal([...causes(loop)].length, 8, 'a cycle does not hang');
    assert.deepEqual([...causes(undefined)], []);
  });

  it('finds a cause by type and the first string code', () => {
    class Special extends Error {}
    const special = new Special('x');
    assert.equal(findCause(new Error('outer', { cause: special }), Special), special);
    assert.equal(findCause(wrapped, Special), undefined);
    assert.equal(errorCode(wrapped), 'ECONNREFUSED');
    assert.equal(errorCode(Object.assign(new Error('abort'), { code: 20 })), undefined, 'numeric codes are not error codes');
  });

  it('describes the chain for the log, naming a code no message names', () => {
    assert.equal(describeError(wrapped), 'Connection error. <- fetch failed <- connect ECONNREFUSED 127.0.0.1:1234');
    const socket = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    assert.equal(describeError(new TypeError('terminated', { cause: socket })), 'terminated <- other side closed (UND_ERR_SOCKET)');
    assert.equal(describeError('plain'), 'plain');
    assert.equal(messageOf(new Error('m')), 'm');
    assert.equal(messageOf(42), '42');
  });
});

describe('estimateTokens', () => {
  it('is about four characters a token, rounded up, from text or a length', () => {
    assert.equal(estimateTokens(''), 0);
    assert.equal(estimateTokens('abcde'), 2);
    assert.equal(estimateTokens(8), 2);
    assert.equal(estimateTokens(9), 3);
  });
});

describe('DisposableStore and Disposable', () => {
  it('disposes everything, newest first, even when one throws, and what is added later at once', () => {
    const order: string[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => order.push('a')));
    store.add(
      toDisposable(() => {
        throw new Error('b fails');
      }),
    );
    store.add(toDisposable(() => order.push('c')));
    store.dispose();
    assert.deepEqual(order, ['c', 'a']);
    store.dispose();
    assert.deepEqual(order, ['c', 'a'], 'twice is once');
    store.add(toDisposable(() => order.push('late')));
    assert.deepEqual(order, ['c', 'a', 'late']);
  });

  it('a Disposable ends what it registered', () => {
    let stopped = 0;
    class Watcher extends Disposable {
      constructor() {
        super();
        this.register(toDisposable(() => stopped++));
      }
    }
    new Watcher().dispose();
    assert.equal(stopped, 1);
  });
});

describe('Emitter', () => {
  it('delivers to each listener until it is disposed', () => {
    const emitter = new Emitter<number>();
    const got: number[] = [];
    const sub = emitter.event((n) => got.push(n));
    emitter.fire(1);
    sub.dispose();
    emitter.fire(2);
    assert.deepEqual(got, [1]);
  });

  it('a listener that unsubscribes while firing does not disturb the others; dispose drops them all', () => {
    const emitter = new Emitter<string>();
    const got: string[] = [];
    const first = emitter.event(() => first.dispose());
    emitter.event((s) => got.push(s));
    emitter.fire('x');
    emitter.fire('y');
    emitter.dispose();
    emitter.fire('z');
    assert.deepEqual(got, ['x', 'y']);
  });
});
