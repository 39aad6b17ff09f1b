import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { warmTurnPath } from '../../src/streaming/chat/warmUp';

describe('warming the answer path', () => {
  it('streams its reply through a whole turn without touching the network', async () => {
    const real = globalThis.fetch;
    let calls = 0;
    globalThis.fetch = (async () => {
      calls++;
      throw new Error('no network in a warm-up');
    }) as typeof fetch;
    try {
      // Rejects if the made-up reply did not go through as an answer (an error event, a missing `done`).
      await warmTurnPath();
    } finally {
      globalThis.fetch = real;
    }
    assert.equal(calls, 0, 'the real fetch was never called');
  });
});
