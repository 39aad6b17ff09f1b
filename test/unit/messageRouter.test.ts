import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageRouter } from '../../src/extension/view/messageRouter';

function logger() {
  const lines: string[] = [];
  return {
    lines,
    info: (m: string) => lines.push(`info ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
    error: (m: string) => lines.push(`error ${m}`),
  };
}

describe('MessageRouter', () => {
  it('delivers a message to the handler of its type, typed by it', () => {
    const router = new MessageRouter(logger());
    const sent: string[] = [];
    router.on('send', (m) => sent.push(m.text));
    router.on('stop', () => sent.push('(stop)'));
    router.dispatch({ type: 'send', text: 'hello' });
    router.dispatch({ type: 'stop' });
    assert.deepEqual(sent, ['hello', '(stop)']);
  });

  it('runs several handlers of one type in the order they registered, and logs one that throws without stopping the rest', () => {
    const log = logger();
    const router = new MessageRouter(log);
    const order: string[] = [];
    router.on('ready', () => order.push('setup'));
    router.on('ready', () => {
      throw new Error('boom');
    });
    router.on('ready', () => order.push('context'));
    router.dispatch({ type: 'ready' });
    assert.deepEqual(order, ['setup', 'context']);
    assert.deepEqual(log.lines, ["error Handling the chat view's 'ready' message failed: boom"]);
  });

  it('logs a message nobody handles', () => {
    const log = logger();
    new MessageRouter(log).dispatch({ type: 'newChat' });
    assert.deepEqual(log.lines, ["warn No handler for the chat view's 'newChat' message"]);
  });

  it('register() adds a handler per entry; disposing it removes them, and only them', () => {
    const log = logger();
    const router = new MessageRouter(log);
    const seen: string[] = [];
    router.on('history', (m) => seen.push(`kept ${m.query}`));
    const owned = router.register({
      history: (m) => seen.push(`owned ${m.query}`),
      deleteConversation: (m) => seen.push(`delete ${m.id}`),
    });
    router.dispatch({ type: 'history', query: 'a' });
    router.dispatch({ type: 'deleteConversation', id: 'c1' });
    owned.dispose();
    router.dispatch({ type: 'history', query: 'b' });
    router.dispatch({ type: 'deleteConversation', id: 'c2' });
    assert.deepEqual(seen, ['kept a', 'owned a', 'delete c1', 'kept b']);
    assert.deepEqual(log.lines, ["warn No handler for the chat view's 'deleteConversation' message"]);
  });
});
