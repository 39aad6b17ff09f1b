import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRaw } from 'node:zlib';
import { AfterPosts } from '../../src/streaming/chat/afterPosts';
import { batchedPost } from '../../src/extension/chat/batchedPost';
import type { HostToWebview } from '../../src/shared/protocol';

/**
 * How VS Code's extension host sends a post: `ProtocolWriter.write` buffers it and `_scheduleWriting` writes
 * the buffer on `setTimeout(() => this._writeNow())` (src/vs/base/parts/ipc/common/ipc.net.ts); the web socket
 * then compresses it on libuv's thread pool (`WebSocketNodeSocket._deflateMessage`, permessage-deflate) and
 * writes it to the socket from that callback. The same in code-server 4.139's extensionHostProcess.js.
 */
class ExtensionHostWriterModel {
  private buffered: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  constructor(private readonly log: string[]) {}
  write(message: unknown): void {
    this.buffered.push(typeof message === 'string' ? message : JSON.stringify(message));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const data = this.buffered.join(' + ');
      this.buffered = [];
      deflateRaw(Buffer.from(data), () => this.log.push(`sent ${data}`));
    });
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 60));

test('a checkpoint asked for after a post runs after that post is on the socket, not in front of it', async () => {
  const log: string[] = [];
  const writer = new ExtensionHostWriterModel(log);
  const checkpoint = new AfterPosts(() => log.push('checkpoint'));
  // The first token: a compact delta goes straight to postMessage, then the answer asks for a checkpoint.
  writer.write('1:Here');
  checkpoint.request();
  await settle();
  assert.deepEqual(log, ['sent 1:Here', 'checkpoint']);
});

test('also after what batchedPost sends at the end of the turn', async () => {
  const log: string[] = [];
  const writer = new ExtensionHostWriterModel(log);
  const post = batchedPost((m: HostToWebview) => writer.write(m));
  const checkpoint = new AfterPosts(() => log.push('checkpoint'));
  post({ type: 'busy', busy: true });
  checkpoint.request();
  post({ type: 'status', id: 'a', status: 'Waiting' });
  await settle();
  assert.equal(log.length, 2);
  assert.match(log[0], /^sent .*"batch".*"busy".*"status"/);
  assert.equal(log[1], 'checkpoint');
});

test('asked for many times before it runs, it runs once; cancel drops it; runNow runs it at once, once', async () => {
  let runs = 0;
  const call = new AfterPosts(() => runs++);
  for (let i = 0; i < 20; i++) call.request();
  await settle();
  assert.equal(runs, 1);

  call.request();
  assert.equal(call.cancel(), true);
  assert.equal(call.cancel(), false);
  await settle();
  assert.equal(runs, 1);

  call.request();
  call.runNow();
  assert.equal(runs, 2);
  await settle();
  assert.equal(runs, 2, 'the timer was dropped by runNow');
  call.runNow();
  assert.equal(runs, 2, 'nothing was pending');
});
