import { randomUUID } from 'node:crypto';
import {
  encodeDelta,
  type AnswerCut,
  type AnswerMetrics,
  type AnswerSource,
  type ChatErrorInfo,
  type HostToWebview,
  type MessageEnd,
  type MessageSnapshot,
  type MessageState,
} from '../../shared/protocol';
import { DeltaThrottle, type Pace } from '../pacing/throttle';
import type { MonotonicClock } from '../../shared/clock';

export interface AnswerStreamDeps {
  maxUpdatesPerSecond: number;
  clock: MonotonicClock;
  /** The conversation's pace: the answer's text and its reasoning share it with the tool cards. */
  pace: Pace;
  post(message: HostToWebview): void;
  /** A checkpoint after each update, a flush when the answer ends. */
  save(how: 'checkpoint' | 'flush'): void;
}

/**
 * One answer message (one per round of a turn) and the two throttles that stream it to the view: its
 * text, and the reasoning before it. The reasoning is closed when the first text arrives, and the answer
 * ends only after the reasoning's last update has gone out, so nothing of it is left behind.
 */
export class AnswerStream {
  readonly message: MessageSnapshot = {
    id: randomUUID(),
    role: 'assistant',
    text: '',
    state: 'streaming',
    seq: 0,
    status: 'Waiting for the model…',
  };
  private readonly text: DeltaThrottle<MessageEnd>;
  private readonly thinking: DeltaThrottle<true>;
  private readonly textClosed: Promise<void>;
  private readonly thinkingClosed: Promise<void>;
  private markTextClosed = () => {};
  private markThinkingClosed = () => {};

  constructor(private readonly deps: AnswerStreamDeps) {
    const message = this.message;
    this.textClosed = new Promise((resolve) => (this.markTextClosed = resolve));
    this.thinkingClosed = new Promise((resolve) => (this.markThinkingClosed = resolve));
    this.text = new DeltaThrottle<MessageEnd>(
      deps.maxUpdatesPerSecond,
      (flush) => {
        message.text += flush.text;
        message.seq = flush.seq;
        message.status = undefined;
        if (flush.end) {
          message.state = flush.end.state;
          message.error = flush.end.error;
          message.metrics = flush.end.metrics;
          if (flush.end.cut) message.cut = flush.end.cut;
        }
        deps.post(
          flush.end
            ? { type: 'delta', id: message.id, seq: flush.seq, text: flush.text, end: flush.end }
            : encodeDelta(flush.seq, flush.text),
        );
        deps.save(flush.end ? 'flush' : 'checkpoint');
        if (flush.end) this.markTextClosed();
      },
      deps.clock,
      0,
      deps.pace,
    );
    this.thinking = new DeltaThrottle<true>(
      deps.maxUpdatesPerSecond,
      (flush) => {
        if (flush.end) this.markThinkingClosed();
        if (!flush.text) return false; // a model that did not reason: its empty end is not a post
        message.thinking = (message.thinking ?? '') + flush.text;
        deps.post({ type: 'thinking', id: message.id, text: flush.text });
        deps.save('checkpoint');
      },
      deps.clock,
      0,
      deps.pace,
    );
  }

  pushText(text: string): void {
    this.thinking.close(true);
    this.text.push(text);
  }

  pushThinking(text: string): void {
    this.thinking.push(text);
  }

  /** The pages the answer cites, whole; rare (once or twice an answer), so posted at once rather than paced. */
  setSources(sources: AnswerSource[]): void {
    this.message.sources = sources.map((s) => ({ ...s }));
    this.deps.post({ type: 'sources', id: this.message.id, sources: this.message.sources });
    this.deps.save('checkpoint');
  }

  /** Ends the answer and waits until its last post (the one that carries the end) has gone out. */
  async end(state: MessageState, error?: ChatErrorInfo, metrics?: AnswerMetrics, cut?: AnswerCut): Promise<void> {
    this.thinking.close(true);
    await this.thinkingClosed;
    this.text.close({ state, ...(error ? { error } : {}), ...(metrics ? { metrics } : {}), ...(cut ? { cut } : {}) });
    await this.textClosed;
  }

  /** Drops what has not gone out (the session is going away) and lets anyone waiting for the end go on. */
  dispose(): void {
    this.text.dispose();
    this.thinking.dispose();
    this.markThinkingClosed();
    this.markTextClosed();
  }
}
