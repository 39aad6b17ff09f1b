/**
 * Collects text (a command's output, search results) up to a byte cap and remembers how much more came,
 * so the model learns that it saw only part. Holding the first part only keeps memory flat however much
 * a process prints.
 */
export class CappedText {
  private readonly parts: string[] = [];
  private kept = 0;
  private seen = 0;

  constructor(readonly maxBytes: number) {}

  /** Adds text; returns false once the cap is reached (the caller may stop producing). */
  push(text: string): boolean {
    const bytes = Buffer.byteLength(text, 'utf8');
    this.seen += bytes;
    if (this.kept >= this.maxBytes) return false;
    if (this.kept + bytes <= this.maxBytes) {
      this.parts.push(text);
      this.kept += bytes;
      return true;
    }
    const room = this.maxBytes - this.kept;
    // Stream-mode decoding drops a character cut in half instead of emitting U+FFFD.
    const head = new TextDecoder('utf-8').decode(Buffer.from(text, 'utf8').subarray(0, room), { stream: true });
    this.parts.push(head);
    this.kept = this.maxBytes;
    return false;
  }

  get full(): boolean {
    return this.kept >= this.maxBytes;
  }

  get truncated(): boolean {
    return this.seen > this.kept;
  }

  get totalBytes(): number {
    return this.seen;
  }

  get keptBytes(): number {
    return this.kept;
  }

  text(): string {
    return this.parts.join('');
  }
}

/**
 * A command's output for the model: its beginning and its end (where the summary and the error usually
 * are), with a note saying how much in between was left out.
 */
export class HeadTailText {
  private readonly head: CappedText;
  private tail = '';
  private tailDropped = 0;
  private seen = 0;

  constructor(
    headBytes: number,
    private readonly tailBytes: number,
  ) {
    this.head = new CappedText(headBytes);
  }

  push(text: string): void {
    this.seen += Buffer.byteLength(text, 'utf8');
    if (!this.head.full) {
      const before = this.head.keptBytes;
      this.head.push(text);
      if (!this.head.full) return;
      // What did not fit the head goes on to the tail.
      text = Buffer.from(text, 'utf8')
        .subarray(this.head.keptBytes - before)
        .toString('utf8');
    }
    this.tail += text;
    const bytes = Buffer.byteLength(this.tail, 'utf8');
    if (bytes > this.tailBytes * 2) this.trim(bytes);
  }

  text(): string {
    this.trim(Buffer.byteLength(this.tail, 'utf8'));
    if (!this.tailDropped) return this.head.text() + this.tail;
    return `${this.head.text()}\n[… ${this.tailDropped} bytes of output left out …]\n${this.tail}`;
  }

  get truncated(): boolean {
    return this.tailDropped > 0;
  }

  /** Everything pushed, in UTF-8 bytes. */
  get totalBytes(): number {
    return this.seen;
  }

  private trim(bytes: number): void {
    if (bytes <= this.tailBytes) return;
    const buffer = Buffer.from(this.tail, 'utf8');
    const cut = buffer.length - this.tailBytes;
    this.tailDropped += cut;
    // A character cut in half at the start becomes U+FFFD; drop it rather than show it.
    this.tail = buffer
      .subarray(cut)
      .toString('utf8')
      .replace(/^\uFFFD+/, '');
  }
}

/** Terminal output without colour and cursor escapes (CSI, OSC such as shell integration's own marks). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]/g, '').replace(/\r(?!\n)/g, '');
}
