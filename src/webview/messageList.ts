import type { HostToWebview, MessageSnapshot } from '../shared/protocol';
import type { ToolCallInfo } from '../shared/protocol';
import { MessageView, type MessageContext } from './messageView';
import { ToolCard, type ToolCardActions } from './toolCard';

type Delta = Extract<HostToWebview, { type: 'delta' }>;

/**
 * The scrolling list of messages. Stays pinned to the bottom while the answer grows, until the user
 * scrolls up; pinning is decided only from the user's own input, never from scroll events we caused.
 */
export class MessageList {
  readonly element: HTMLElement;
  private readonly views = new Map<string, MessageView>();
  private readonly tools = new Map<string, ToolCard>();
  /** The answer being written, which compact deltas belong to. */
  private streamingId: string | undefined;
  private pinned = true;
  private readonly empty: HTMLElement;

  constructor(
    private readonly ctx: MessageContext & { tools: ToolCardActions },
    /** Called when a delta does not follow the previous one: a host bug to report, not to hide. */
    private readonly onSequenceGap: (detail: string) => void,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'messages';
    this.element.setAttribute('role', 'log');
    this.element.setAttribute('aria-live', 'polite');
    this.empty = document.createElement('div');
    this.empty.className = 'empty';
    this.empty.innerHTML = '<span class="codicon codicon-comment-discussion" aria-hidden="true"></span><p>Ask anything. <kbd>Enter</kbd> sends, <kbd>Shift</kbd>+<kbd>Enter</kbd> adds a line.</p>';
    this.element.append(this.empty);
    const unpinIfAway = () => {
      this.pinned = this.distanceFromBottom() <= 2;
    };
    this.element.addEventListener('wheel', (e) => {
      if (e.deltaY < 0) this.pinned = false;
      else requestAnimationFrame(unpinIfAway);
    }, { passive: true });
    this.element.addEventListener('keydown', (e) => {
      if (['PageUp', 'Home', 'ArrowUp'].includes(e.key)) this.pinned = false;
      else if (['PageDown', 'End', 'ArrowDown'].includes(e.key)) requestAnimationFrame(unpinIfAway);
    });
    this.element.addEventListener('pointerup', () => requestAnimationFrame(unpinIfAway));
  }

  reset(messages: MessageSnapshot[]): void {
    for (const view of this.views.values()) view.element.remove();
    this.views.clear();
    this.streamingId = undefined;
    for (const card of this.tools.values()) {
      card.dispose();
      card.element.remove();
    }
    this.tools.clear();
    for (const m of messages) this.add(m);
    this.updateEmpty();
    this.pinned = true;
    this.scrollIfPinned();
  }

  add(message: MessageSnapshot): void {
    if (message.role === 'tool' && message.tool) {
      const card = new ToolCard(message.id, message.tool, this.ctx.tools);
      this.tools.set(message.id, card);
      this.element.append(card.element);
      this.updateEmpty();
      this.scrollIfPinned();
      return;
    }
    const view = MessageView.from(this.ctx, message);
    this.views.set(message.id, view);
    if (message.role === 'assistant' && message.state === 'streaming') this.streamingId = message.id;
    this.element.append(view.element);
    this.updateEmpty();
    if (message.role === 'user') this.pinned = true;
    this.scrollIfPinned();
  }

  /** A compact update (`<seq>:<text>`) of the answer being written. */
  applyStreamingDelta(delta: { seq: number; text: string }): boolean {
    if (!this.streamingId) {
      this.onSequenceGap(`update ${delta.seq} while no answer is being written`);
      return false;
    }
    return this.applyDelta({ type: 'delta', id: this.streamingId, ...delta });
  }

  applyDelta(delta: Delta): boolean {
    const view = this.views.get(delta.id);
    if (!view) {
      this.onSequenceGap(`delta ${delta.seq} for unknown message ${delta.id}`);
      return false;
    }
    if (delta.seq !== view.seq + 1) {
      this.onSequenceGap(`message ${delta.id}: expected delta ${view.seq + 1}, got ${delta.seq}`);
      return false;
    }
    view.seq = delta.seq;
    view.append(delta.text);
    if (delta.end) {
      view.setState(delta.end.state, delta.end.error, delta.end.metrics);
      if (this.streamingId === delta.id) this.streamingId = undefined;
    }
    this.scrollIfPinned();
    return true;
  }

  setWarning(id: string, warning: string): void {
    this.views.get(id)?.showWarning(warning);
  }

  updateTool(id: string, tool: ToolCallInfo): void {
    this.tools.get(id)?.update(tool);
    this.scrollIfPinned();
  }

  setStatus(id: string, status: string | undefined): void {
    this.views.get(id)?.setStatus(status);
  }

  private distanceFromBottom(): number {
    return this.element.scrollHeight - this.element.scrollTop - this.element.clientHeight;
  }

  private scrollIfPinned(): void {
    if (this.pinned) this.element.scrollTop = this.element.scrollHeight;
  }

  private updateEmpty(): void {
    this.empty.hidden = this.views.size + this.tools.size > 0;
  }
}
