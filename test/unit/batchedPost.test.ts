import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchedPost } from '../../src/extension/chat/batchedPost';
import type { HostToWebview } from '../../src/shared/protocol';

const turnDone = () => new Promise((resolve) => setImmediate(resolve));
const meter = (usedTokens: number): HostToWebview => ({ type: 'context', chips: [], meter: { usedTokens } });

describe('batchedPost', () => {
  it('sends what one turn of the event loop posts as one batch, in order, with only the newest context', async () => {
    const sent: HostToWebview[] = [];
    const post = batchedPost((m) => sent.push(m));
    post(meter(1));
    post({ type: 'busy', busy: true });
    post(meter(2));
    post('1:Hello');
    assert.deepEqual(sent, [], 'nothing goes before the turn ends');
    await turnDone();
    assert.deepEqual(sent, [{ type: 'batch', messages: [{ type: 'busy', busy: true }, meter(2), '1:Hello'] }]);
  });

  it('sends a lone message as it is, and each later turn on its own', async () => {
    const sent: HostToWebview[] = [];
    const post = batchedPost((m) => sent.push(m));
    post('1:Hello');
    await turnDone();
    post('2: world');
    await turnDone();
    assert.deepEqual(sent, ['1:Hello', '2: world']);
  });
});
