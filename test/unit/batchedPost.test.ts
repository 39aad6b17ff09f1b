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
    post({ type: 'busy', busy: true });
    await turnDone();
    post({ type: 'busy', busy: false });
    await turnDone();
    assert.deepEqual(sent, [
      { type: 'busy', busy: true },
      { type: 'busy', busy: false },
    ]);
  });

  it('posts a streamed delta at once when nothing waits, and after what waits otherwise', async () => {
    const sent: HostToWebview[] = [];
    const post = batchedPost((m) => sent.push(m));
    post('1:Hello');
    assert.deepEqual(sent, ['1:Hello'], 'not held to the end of the turn');
    post(meter(3));
    post('2: world');
    assert.equal(sent.length, 1, 'behind a waiting message, a delta waits with it');
    await turnDone();
    assert.deepEqual(sent, ['1:Hello', { type: 'batch', messages: [meter(3), '2: world'] }]);
  });
});
