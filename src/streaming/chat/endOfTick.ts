/**
 * A call made once at the end of the current turn of the event loop, however often it was asked for in it.
 * The session's checkpoints go through one: the update that asks for a checkpoint is posted to the view at
 * the end of the turn too (extension/chat/batchedPost), and asked first, so it goes out before the copy of
 * the whole conversation that a checkpoint makes (a first token waited 0.6-4 ms behind that copy).
 */
export class EndOfTick {
  private queued: ReturnType<typeof setImmediate> | undefined;

  constructor(private readonly run: () => void) {}

  request(): void {
    this.queued ??= setImmediate(() => {
      this.queued = undefined;
      this.run();
    });
  }

  /** Drops a call asked for; returns whether there was one. */
  cancel(): boolean {
    if (!this.queued) return false;
    clearImmediate(this.queued);
    this.queued = undefined;
    return true;
  }

  /** Makes a call asked for now rather than later. */
  runNow(): void {
    if (this.cancel()) this.run();
  }
}
