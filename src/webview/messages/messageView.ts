import { messageImages } from '../panels/imageAttach';
import type {
  AnswerCut,
  AnswerNote,
  AnswerMetrics,
  AnswerSource,
  ChatErrorInfo,
  ContextChipLabel,
  MessageSnapshot,
  MessageState,
} from '../../shared/protocol';
import { decorateCodeBlocks, type CodeActions } from '../markdown/codeBlocks';
import { FinishedMarkdownView } from '../markdown/finishedView';
import { IncrementalMarkdownView } from '../markdown/incrementalView';
import type { Markdown, MarkdownView } from '../markdown/markdown';
import { messageContextChips } from './messageContextChips';
import { MessageEditor } from './messageEditor';
import { MessageToolbar, type MessageActions } from './messageToolbar';
import { ThinkingView } from './thinkingView';
import { cutNote, sourcesList, summaryFrame, truncatedNote } from './answerNotes';
import { metricsText } from '../../shared/metricsText';

export type { MessageActions } from './messageToolbar';

/** What every message view needs from the page. */
export interface MessageContext {
  md: Markdown;
  onErrorAction(messageId: string, index: number): void;
  /** A button of an answer's note (AnswerNote.actions). */
  onNoteAction?(messageId: string, index: number): void;
  onUndoSummary?(messageId: string): void;
  code: CodeActions;
  /** Copy, Edit and Regenerate on each message's toolbar. */
  actions: MessageActions;
}

/**
 * One message as an `<article>`, following the contract's accessible DOM. Everything the page adds around
 * the model's text (thinking, context chips, toolbar, editor) sits beside `.markdown`, never inside it.
 */
export class MessageView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly markdown: MarkdownView;
  private readonly statusEl: HTMLElement;
  /** The status shown, if any. */
  private status: string | undefined;
  private readonly toolbar: MessageToolbar | undefined;
  private errorEl: HTMLElement | undefined;
  private thinking: ThinkingView | undefined;
  private editor: MessageEditor | undefined;
  private sourcesEl: HTMLElement | undefined;
  private continueButton: HTMLButtonElement | undefined;
  private busy = false;
  private lastAnswer = false;
  seq: number;

  constructor(
    private readonly ctx: MessageContext,
    readonly id: string,
    readonly role: MessageSnapshot['role'],
    /** The message arrives complete (from history): its text is rendered once, without the streaming machinery. */
    complete = false,
  ) {
    this.element = document.createElement('article');
    this.element.dataset.role = role;
    this.element.dataset.id = id;
    this.element.setAttribute('aria-label', role === 'user' ? 'You' : 'Model');
    const label = document.createElement('div');
    label.className = 'role';
    label.textContent = role === 'user' ? 'You' : 'Model';
    this.body = document.createElement('div');
    this.body.className = 'markdown';
    this.statusEl = document.createElement('div');
    this.statusEl.className = 'status';
    this.statusEl.hidden = true;
    this.statusEl.setAttribute('role', 'status');
    this.element.append(label, this.body, this.statusEl);
    if (role === 'user' || role === 'assistant') {
      this.toolbar = new MessageToolbar(role, {
        copy: () => ctx.actions.copy(id),
        edit: () => this.startEdit(),
        regenerate: () => ctx.actions.regenerate(id),
      });
      this.element.append(this.toolbar.element);
    }
    const decorate = (elements: Element[]) => decorateCodeBlocks(elements, ctx.code);
    this.markdown = complete
      ? new FinishedMarkdownView(ctx.md, this.body, decorate)
      : new IncrementalMarkdownView(ctx.md, this.body, decorate);
    this.seq = 0;
  }

  static from(ctx: MessageContext, snapshot: MessageSnapshot): MessageView {
    const view = new MessageView(ctx, snapshot.id, snapshot.role, snapshot.state !== 'streaming');
    view.markdown.append(snapshot.text);
    view.seq = snapshot.seq;
    view.setStatus(snapshot.status);
    if (snapshot.warning) view.showWarning(snapshot.warning);
    if (snapshot.images?.length) view.body.after(messageImages(snapshot.images));
    if (snapshot.context?.length) view.showContext(snapshot.context);
    if (snapshot.sources?.length) view.showSources(snapshot.sources);
    if (snapshot.note) view.showAnswerNote(snapshot.note);
    if (snapshot.summary) view.showAsSummary(snapshot.summary.covers);
    view.setState(snapshot.state, snapshot.error, snapshot.metrics, snapshot.cut);
    if (snapshot.thinking) view.appendThinking(snapshot.thinking);
    return view;
  }

  get state(): MessageState {
    return this.element.dataset.state as MessageState;
  }

  /** The message's markdown source, as the model or the user wrote it. */
  get text(): string {
    return this.markdown.text;
  }

  append(text: string): void {
    if (text) {
      this.setStatus(undefined);
      // The answer has begun, so the reasoning before it is over.
      this.thinking?.setActive(false);
    }
    this.markdown.append(text);
  }

  appendThinking(text: string): void {
    if (!text) return;
    if (!this.thinking) {
      this.thinking = new ThinkingView();
      this.body.before(this.thinking.element);
    }
    this.thinking.setActive(this.state === 'streaming' && this.markdown.text === '');
    this.thinking.append(text);
  }

  /** While a turn runs, nothing may start another: Edit and Regenerate go, an open editor cannot send. */
  setBusy(busy: boolean): void {
    this.busy = busy;
    this.toolbar?.setBusy(busy);
    this.editor?.setBusy(busy);
    this.renderContinue();
  }

  /** Only the conversation's last answer can be asked again, and only once it has ended. */
  setLastAnswer(last: boolean): void {
    this.lastAnswer = last;
    this.toolbar?.setCanRegenerate(last && this.state !== 'streaming');
    this.renderContinue();
  }

  /** The pages the answer cites, as links under its text (the whole list each time: it replaces the last). */
  showSources(sources: AnswerSource[]): void {
    const list = sourcesList(sources);
    if (this.sourcesEl) this.sourcesEl.replaceWith(list);
    else this.body.after(list);
    this.sourcesEl = list;
  }

  /** Continue only makes sense on the conversation's last answer, and not while a turn runs. */
  private renderContinue(): void {
    if (!this.continueButton) return;
    const can = this.lastAnswer && !this.busy;
    this.continueButton.hidden = !can;
    this.continueButton.disabled = !can;
  }

  /**
   * Every streamed update clears the status, so clearing one already clear does nothing. The first token
   * clears it in the task that puts the token on screen: there it is only hidden (removing the spinning icon
   * too made that task a third longer); what it held goes when the answer ends or a new status replaces it.
   */
  setStatus(status: string | undefined): void {
    if (status === this.status) return;
    this.status = status;
    this.statusEl.hidden = !status;
    if (!status) return;
    const spinner = document.createElement('span');
    spinner.className = 'codicon codicon-loading codicon-modifier-spin';
    spinner.setAttribute('aria-hidden', 'true');
    this.statusEl.replaceChildren(spinner, ` ${status}`);
  }

  setState(state: MessageState, error?: ChatErrorInfo, metrics?: AnswerMetrics, cut?: AnswerCut): void {
    this.element.dataset.state = state;
    if (state !== 'streaming') {
      this.setStatus(undefined);
      this.statusEl.replaceChildren();
      this.markdown.finish();
      this.thinking?.setActive(false);
    }
    this.setLastAnswer(this.lastAnswer);
    if (state === 'stopped') this.showNote('Stopped.');
    if (cut === 'length' && !this.continueButton) {
      const note = cutNote(() => this.ctx.actions.continue?.(this.id));
      this.continueButton = note.button;
      this.element.append(note.element);
      this.renderContinue();
    }
    if (error) this.showError(error);
    if (metrics) this.showMetrics(metrics);
  }

  /** Turns the question into an editor; `text` brings back an edit the page had open before it reloaded. */
  startEdit(text = this.text): void {
    if (this.editor || this.busy || this.role !== 'user') return;
    const editor = new MessageEditor(text, {
      send: (edited) => {
        this.stopEdit(false);
        this.ctx.actions.edit(this.id, edited);
      },
      cancel: () => this.stopEdit(true),
      changed: (edited) => this.ctx.actions.editChanged?.(this.id, edited),
      refusedWhileBusy: () => this.ctx.actions.editRefusedWhileBusy?.(),
    });
    this.ctx.actions.editChanged?.(this.id, text);
    this.editor = editor;
    editor.setBusy(this.busy);
    this.body.hidden = true;
    this.toolbar!.element.hidden = true;
    this.body.after(editor.element);
    editor.focus();
  }

  private stopEdit(refocus: boolean): void {
    if (this.editor) this.ctx.actions.editChanged?.(this.id, undefined);
    this.editor?.element.remove();
    this.editor = undefined;
    this.body.hidden = false;
    this.toolbar!.element.hidden = false;
    if (refocus) this.toolbar!.focusEdit();
  }

  private showContext(chips: ContextChipLabel[]): void {
    this.body.after(messageContextChips(chips));
  }

  private showMetrics(m: AnswerMetrics): void {
    const text = metricsText(m);
    if (!text) return;
    const line = document.createElement('div');
    line.className = 'metrics';
    line.textContent = text;
    this.element.append(line);
  }

  /** Replaces the answer's note (one at a time: the latest report is the one that holds). */
  showAnswerNote(note: AnswerNote): void {
    this.element.querySelector(':scope > .note.truncated')?.remove();
    this.element.append(truncatedNote(note, (index) => this.ctx.onNoteAction?.(this.id, index)));
  }

  private showAsSummary(covers: number): void {
    this.element.dataset.summary = 'true';
    this.element.setAttribute('aria-label', 'Summary of earlier messages');
    const frame = summaryFrame(this.body, covers, () => this.ctx.onUndoSummary?.(this.id));
    this.element.querySelector(':scope > .role')!.after(frame);
  }

  showWarning(text: string): void {
    this.element.querySelector(':scope > .warning')?.remove();
    const box = document.createElement('div');
    box.className = 'warning';
    box.setAttribute('role', 'note');
    const icon = document.createElement('span');
    icon.className = 'codicon codicon-warning';
    icon.setAttribute('aria-hidden', 'true');
    box.append(icon, ' ', text);
    this.element.querySelector(':scope > .role')!.after(box);
  }

  private showNote(text: string): void {
    const note = document.createElement('div');
    note.className = 'note';
    note.textContent = text;
    this.element.append(note);
  }

  private showError(error: ChatErrorInfo): void {
    this.errorEl?.remove();
    const box = document.createElement('div');
    box.className = 'error';
    box.setAttribute('role', 'alert');
    const message = document.createElement('p');
    // Inline code spans (`ollama pull x`) are the only markup error messages use.
    for (const [i, part] of error.message.split('`').entries()) {
      const node = i % 2 ? document.createElement('code') : document.createElement('span');
      node.textContent = part;
      message.append(node);
    }
    const icon = document.createElement('span');
    icon.className = 'codicon codicon-error';
    icon.setAttribute('aria-hidden', 'true');
    message.prepend(icon, ' ');
    box.append(message);
    const actions = document.createElement('div');
    actions.className = 'actions';
    error.actions.forEach((action, index) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.textContent = action.label;
      button.addEventListener('click', () => this.ctx.onErrorAction(this.id, index));
      actions.append(button);
    });
    box.append(actions);
    this.errorEl = box;
    this.element.append(box);
  }
}
