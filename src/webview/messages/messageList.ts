import type { AnswerNote, AnswerSource, HostToWebview, MessageSnapshot, ToolCallInfo } from '../../shared/protocol';
import { applyHighlights } from '../markdown/codeBlocks';
import { FramePacer } from './framePacer';
import { MessageView, type MessageContext } from './messageView';
import { OlderMessages } from './olderMessages';
import { ScrollKeeper } from './scrollKeeper';
import { ToolCard, type ToolCardActions } from './toolCard';

type Delta = Extract<HostToWebview, { type: 'delta' }>;

export interface MessageListOptions {
  /**
   * Shown while the conversation has no messages (the page's first-run explanation); a built-in hint
   * otherwise. Put inside the list unless it is already placed somewhere; placed outside, it is shown
   * instead of the list.
   */
  empty?: HTMLElement;
}

/**
 * The scrolling list of messages. Stays pinned to the bottom while the answer grows, until the user
 * scrolls up; pinning is decided only from the user's own input, never from scroll events we caused.
 *
 * Only the newest items are rendered when a conversation opens; older ones stay as snapshots until the
 * user scrolls up towards them (`OlderMessages`, which then renders them ahead in idle time). Live updates always target the newest items, which are rendered;
 * the few that name an older one update its snapshot instead.
 */
export class MessageList {
  readonly element: HTMLElement;
  private readonly views = new Map<string, MessageView>();
  private readonly tools = new Map<string, ToolCard>();
  private readonly older: OlderMessages;
  private readonly keeper: ScrollKeeper;
  /** The answer being written, which compact deltas belong to. */
  private streamingId: string | undefined;
  /** The conversation's last answer (rendered or not): the only one that can be regenerated. */
  private lastAnswerId: string | undefined;
  private busy = false;
  private pinned = true;
  private readonly scrollQueued = { frame: false, task: false };
  /**
   * The messages added last, not skipped by content-visibility (messages.css) until they have been off screen
   * when the answer ends or more come. `offscreen` is kept by `freshWatch`.
   */
  private fresh: HTMLElement[] = [];
  private readonly offscreen = new WeakSet<Element>();
  private readonly freshWatch: IntersectionObserver;
  private addingInTask = false;
  private readonly empty: HTMLElement;
  /** Streamed text received but not drawn yet (framePacer.ts): drawn before anything else touches the list. */
  private readonly undrawn = new Map<MessageView, string>();
  private readonly pacer: FramePacer;

  constructor(
    private readonly ctx: MessageContext & { tools: ToolCardActions },
    /** Called when a delta does not follow the previous one: a host bug to report, not to hide. */
    private readonly onSequenceGap: (detail: string) => void,
    options: MessageListOptions = {},
  ) {
    this.pacer = new FramePacer(() => this.drawText());
    this.element = document.createElement('div');
    this.element.className = 'messages';
    this.element.setAttribute('role', 'log');
    this.element.setAttribute('aria-live', 'polite');
    this.empty = options.empty ?? builtInEmpty();
    if (!this.empty.parentNode) this.element.append(this.empty);
    this.keeper = new ScrollKeeper(this.element, () => this.pinned);
    this.freshWatch = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (e.isIntersecting) this.offscreen.delete(e.target);
          else this.offscreen.add(e.target);
        }
      },
      { root: this.element },
    );
    this.older = new OlderMessages(
      this.element,
      (m) => this.render(m),
      (elements, reading) => {
        for (const e of elements) this.keeper.observe(e);
        this.keeper.remember(reading);
      },
      () => !this.pinned,
    );
    const unpinIfAway = () => {
      this.pinned = this.distanceFromBottom() <= 2;
    };
    this.element.addEventListener(
      'wheel',
      (e) => {
        if (e.deltaY < 0) this.pinned = false;
        else requestAnimationFrame(unpinIfAway);
      },
      { passive: true },
    );
    // Keys scroll the list also when focus is on the page itself (after a click on a message's text, which
    // is not focusable): their events then go to the body, not to the list.
    document.addEventListener('keydown', (e) => {
      if (e.target !== document.body && !(e.target instanceof Node && this.element.contains(e.target))) return;
      if (!this.element.checkVisibility()) return;
      if (['PageUp', 'Home', 'ArrowUp'].includes(e.key)) this.pinned = false;
      else if (['PageDown', 'End', 'ArrowDown'].includes(e.key)) requestAnimationFrame(unpinIfAway);
    });
    // A press on the list itself is on its scrollbar: while dragging, nothing may pull the view back down.
    this.element.addEventListener('pointerdown', (e) => {
      if (e.target === this.element) this.pinned = false;
    });
    this.element.addEventListener('pointerup', () => requestAnimationFrame(unpinIfAway));
    this.updateEmpty();
  }

  /** Items (messages and tool cards) in the DOM; the rest of the conversation waits in `OlderMessages`. */
  get renderedCount(): number {
    return this.views.size + this.tools.size;
  }

  /** Reopens an inline edit that was open before the page reloaded, if its question is on screen. */
  resumeEdit(id: string, text: string): boolean {
    const view = this.views.get(id);
    if (!view || view.role !== 'user') return false;
    view.startEdit(text);
    return true;
  }

  reset(messages: MessageSnapshot[]): void {
    this.pacer.restart();
    this.undrawn.clear();
    for (const view of this.views.values()) this.remove(view.element);
    this.views.clear();
    this.streamingId = undefined;
    for (const card of this.tools.values()) {
      card.dispose();
      this.remove(card.element);
    }
    this.tools.clear();
    this.fresh = [];
    this.freshWatch.disconnect();
    this.lastAnswerId = lastOf(messages, (m) => m.role === 'assistant');
    this.older.reset(messages);
    // Only the newest can be the one being written (an older 'streaming' is a leftover of a crash).
    const writing = lastOf(messages, (m) => m.role === 'assistant' && m.state === 'streaming');
    if (writing && this.views.has(writing)) this.streamingId = writing;
    this.updateEmpty();
    this.pinned = true;
    // At once: what older messages to render depends on where the list is (the sentinel at its top).
    this.element.scrollTop = this.element.scrollHeight;
  }

  add(message: MessageSnapshot): void {
    this.drawNow();
    if (message.role === 'assistant') this.setLastAnswer(message.id);
    const element = this.render(message);
    // Those added in an earlier task have been laid out: they may be skipped again.
    if (!this.addingInTask) {
      this.unfresh();
      this.addingInTask = true;
      queueMicrotask(() => (this.addingInTask = false));
    }
    element.dataset.fresh = '';
    this.fresh.push(element);
    this.freshWatch.observe(element);
    this.element.append(element);
    this.keeper.observe(element);
    if (message.role === 'assistant' && message.state === 'streaming') this.streamingId = message.id;
    this.updateEmpty();
    if (message.role === 'user') this.pinned = true;
    this.scrollIfPinned('task');
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
    if (delta.text) this.undrawn.set(view, (this.undrawn.get(view) ?? '') + delta.text);
    if (!delta.end) {
      if (this.undrawn.size) this.pacer.request();
      return true;
    }
    this.drawNow();
    view.setState(delta.end.state, delta.end.error, delta.end.metrics, delta.end.cut);
    if (this.streamingId === delta.id) this.streamingId = undefined;
    this.unfresh();
    // With the text drawn just before: one scroll, once the end state has changed the height too.
    this.scrollIfPinned('task');
    return true;
  }

  /** Draws the text still waiting, if any: before anything else touches the list, and at an answer's end. */
  private drawNow(): void {
    if (this.undrawn.size) this.pacer.flush();
  }

  /** Puts the streamed text received so far into the answers (FramePacer decides when). */
  private drawText(): void {
    applyHighlights();
    for (const [view, text] of this.undrawn) view.append(text);
    this.undrawn.clear();
    this.scrollIfPinned('task');
  }

  /** Reasoning text added to an answer (throttled by the host like the answer itself). */
  appendThinking(id: string, text: string): void {
    this.drawNow();
    const view = this.views.get(id);
    if (view) view.appendThinking(text);
    else this.older.update(id, (m) => ({ ...m, thinking: (m.thinking ?? '') + text }));
  }

  /** The pages an answer cites (the whole list, replacing the last). */
  setSources(id: string, sources: AnswerSource[]): void {
    this.drawNow();
    const view = this.views.get(id);
    if (view) view.showSources(sources);
    else this.older.update(id, (m) => ({ ...m, sources }));
    this.scrollIfPinned();
  }

  setNote(id: string, note: AnswerNote): void {
    this.drawNow();
    const view = this.views.get(id);
    if (view) view.showAnswerNote(note);
    else this.older.update(id, (m) => ({ ...m, note }));
  }

  setWarning(id: string, warning: string): void {
    this.drawNow();
    const view = this.views.get(id);
    if (view) view.showWarning(warning);
    else this.older.update(id, (m) => ({ ...m, warning }));
  }

  updateTool(id: string, tool: ToolCallInfo): void {
    this.drawNow();
    const card = this.tools.get(id);
    if (card) card.update(tool);
    else this.older.update(id, (m) => ({ ...m, tool }));
    this.scrollIfPinned();
  }

  setStatus(id: string, status: string | undefined): void {
    this.drawNow();
    this.views.get(id)?.setStatus(status);
  }

  /** While a turn runs, Edit and Regenerate are hidden: each would start another. */
  setBusy(busy: boolean): void {
    this.busy = busy;
    for (const view of this.views.values()) view.setBusy(busy);
  }

  private render(message: MessageSnapshot): HTMLElement {
    if (message.role === 'tool' && message.tool) {
      const card = new ToolCard(message.id, message.tool, this.ctx.tools);
      this.tools.set(message.id, card);
      return card.element;
    }
    const view = MessageView.from(this.ctx, message);
    view.setBusy(this.busy);
    if (message.id === this.lastAnswerId) view.setLastAnswer(true);
    this.views.set(message.id, view);
    return view.element;
  }

  private remove(element: HTMLElement): void {
    this.keeper.unobserve(element);
    element.remove();
  }

  private setLastAnswer(id: string): void {
    if (this.lastAnswerId) this.views.get(this.lastAnswerId)?.setLastAnswer(false);
    this.lastAnswerId = id;
  }

  private distanceFromBottom(): number {
    return this.element.scrollHeight - this.element.scrollTop - this.element.clientHeight;
  }

  /**
   * Scrolls to the bottom if still pinned, in the next frame (`frame`) or once this task's handlers are done
   * (`task`: drawn text, new messages).
   *
   * Reading `scrollHeight` lays the page out. In the middle of handling a message that cost 0.5-1 ms of every
   * streamed update, so the layout waits until the task's handlers are done: it is the layout the next frame
   * would do anyway. Scrolled in the frame instead (an animation frame callback), the scroll event and
   * Chromium's hover update went out in a frame of their own after every update (code-server traces: 502
   * frames for 219 updates; 310-390 with the scroll after the task and a steady caret). New messages scroll
   * after the task too: their scroll event then goes out in the frame that draws them, not ~16 ms later, about
   * when a short prompt's first token arrives.
   */
  private scrollIfPinned(when: 'frame' | 'task' = 'frame'): void {
    if (!this.pinned || this.scrollQueued[when]) return;
    this.scrollQueued[when] = true;
    (when === 'frame' ? requestAnimationFrame : queueMicrotask)(() => {
      this.scrollQueued[when] = false;
      if (this.pinned) this.element.scrollTop = this.element.scrollHeight;
    });
  }

  /**
   * Lets the fresh messages that are off screen be skipped again (their sizes are remembered by now). Done
   * when the page changes anyway, in a frame it draws for other reasons: a style change of its own drew a
   * frame two frames after the question, when a short prompt's first token arrives (code-server traces).
   * One on screen stays as it is: turning on containment for a 130 KB answer just finished cost a frame of
   * about 20 ms (pre-paint of the whole answer), which a busy core stretched into a long task; off screen,
   * it is skipped at once.
   */
  private unfresh(): void {
    this.fresh = this.fresh.filter((e) => {
      if (e.isConnected && !this.offscreen.has(e)) return true;
      delete e.dataset.fresh;
      this.freshWatch.unobserve(e);
      return false;
    });
  }

  /** An empty state placed outside the list (beside it) takes the list's place: the list hides meanwhile. */
  private updateEmpty(): void {
    const some = this.renderedCount + this.older.count > 0;
    this.empty.hidden = some;
    if (!this.element.contains(this.empty)) this.element.hidden = !some;
  }
}

function builtInEmpty(): HTMLElement {
  const empty = document.createElement('div');
  empty.className = 'empty';
  empty.innerHTML =
    '<span class="codicon codicon-comment-discussion" aria-hidden="true"></span><p>Ask anything. <kbd>Enter</kbd> sends, <kbd>Shift</kbd>+<kbd>Enter</kbd> adds a line.</p>';
  return empty;
}

function lastOf(messages: MessageSnapshot[], test: (m: MessageSnapshot) => boolean): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (test(messages[i])) return messages[i].id;
  return undefined;
}
