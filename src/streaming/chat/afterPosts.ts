/**
 * A call made once, a little after the posts that asked for it have left the extension host, however often it
 * was asked for meanwhile. The session's checkpoints go through one: a checkpoint copies the whole
 * conversation, and no post may wait behind that copy.
 *
 * `postMessage` does not write a post to VS Code's connection. Its protocol writer buffers it and writes on a
 * `setTimeout` with no delay (`ProtocolWriter._scheduleWriting`, src/vs/base/parts/ipc/common/ipc.net.ts), and
 * the web socket then compresses it on libuv's thread pool and writes it from the callback
 * (`WebSocketNodeSocket`, permessage-deflate). Whatever runs on the extension host's thread until that
 * callback delays the post: a checkpoint made at the end of the event loop's turn, or on the next timer, held
 * an answer's first token back by its own length (0.5-1.5 ms; code-server 4.139, timestamps in the extension
 * host: the write left 1.3 ms after VS Code's timer against 0.2 ms for a minimal extension). A checkpoint is
 * written at most every 2 s anyway (`history/checkpointer.ts`): made 20 ms later, it lands between updates.
 */
const DELAY_MS = 20;

export class AfterPosts {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly run: () => void) {}

  request(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, DELAY_MS);
  }

  /** Drops a call asked for; returns whether there was one. */
  cancel(): boolean {
    if (this.timer === undefined) return false;
    clearTimeout(this.timer);
    this.timer = undefined;
    return true;
  }

  /** Makes a call asked for now rather than later. */
  runNow(): void {
    if (this.cancel()) this.run();
  }
}
