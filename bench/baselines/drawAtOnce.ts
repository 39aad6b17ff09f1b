/**
 * The naive pages draw every update the moment it arrives, as most chat webviews do: `FramePacer` without the
 * pacing (src/webview/messages/framePacer.ts). With ours, a page whose frames are slow (the full re-render's)
 * would draw in timers the render benchmark does not time, and look fast.
 */
export class DrawAtOncePacer {
  constructor(private readonly draw: () => void) {}

  get intervalMs(): number {
    return 0;
  }

  request(): void {
    this.draw();
  }

  flush(): void {
    this.draw();
  }

  cancel(): void {}
}
