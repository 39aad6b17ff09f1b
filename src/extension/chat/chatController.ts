import * as vscode from 'vscode';
import type { HostToWebview, ImageInput } from '../../shared/protocol';
import { TIMEOUTS } from '../../shared/timeouts';
import { pickImages } from './imagePicker';
import type { ChatSession } from '../../streaming/chat/chatSession';
import type { ChatSessions } from '../../streaming/chat/chatSessions';
import type { ConversationStore } from '../../history/conversationStore';
import { Disposable, type IDisposable } from '../../shared/disposable';
import { estimateTokens } from '../../shared/tokens';
import { historyImageTokens } from '../../streaming/chat/sessionImages';
import type { ChatContext } from '../context/contextController';
import { runErrorAction } from '../commands/actions';
import type { MessageRouter } from '../view/messageRouter';

export interface ChatDeps {
  sessions: ChatSessions;
  context: Pick<ChatContext, 'attachments' | 'afterSend' | 'chips' | 'meterTokens' | 'ready' | 'onDidChange'>;
  /** Where an edit keeps the conversation as it was before. */
  store: Pick<ConversationStore, 'save'>;
  /** The context the server is asked to use, when known (the meter's 100 %). */
  limitTokens(): number | undefined;
  post(message: HostToWebview): void;
  log: vscode.LogOutputChannel;
}

/**
 * The shown conversation in the view: asking, stopping, editing, approving tools, and the context meter
 * above the message box, which counts the conversation so far and the chips.
 */
export class ChatController extends Disposable {
  /** A second send while the chips' context is read is refused like any other. */
  private sending = false;

  constructor(private readonly deps: ChatDeps) {
    super();
    const { sessions } = deps;
    const postContext = () => this.postContext();
    this.register(deps.context.onDidChange(postContext));
    // The meter counts the conversation so far: it changes when a turn ends or another one is shown.
    this.register(sessions.onDidEndTurn((e) => e.shown && this.postContext()));
    this.register(sessions.onDidResetMessages(postContext));
    this.register(sessions.onDidChangeActive(postContext));
    this.register(
      sessions.onApprovalPending(({ session, shown }) => {
        if (shown) return;
        deps.post({
          type: 'notice',
          text: `“${session.displayTitle}” is waiting for you to allow a tool.`,
          action: { label: 'Open', id: `open:${session.id}` },
        });
      }),
    );
  }

  /** The conversation the view shows (it changes with New chat and the history list). */
  private get session(): ChatSession {
    return this.deps.sessions.active;
  }

  registerMessages(router: MessageRouter): IDisposable {
    const { sessions, post, log } = this.deps;
    return router.register({
      ready: () => {
        post(this.session.snapshot());
        void this.deps.context.ready.then(() => this.postContext());
        void this.session.refreshModel();
      },
      attachImage: () => void pickImages(post, log),
      send: ({ text, images }) =>
        void this.send(text, images ?? []).catch((err) => {
          log.error(`Sending failed: ${String(err)}`);
          post({ type: 'sendRefused', text, reason: 'The question could not be sent; see the log.' });
        }),
      stop: () => this.session.stop(),
      newChat: () => {
        sessions.newChat();
        void this.session.refreshModel();
      },
      errorAction: (m) => void runErrorAction(this.session, m.messageId, m.index, log),
      noteAction: (m) => void runErrorAction(this.session, m.messageId, m.index, log, 'note'),
      undoSummary: (m) => {
        if (!this.session.undoSummary(m.id)) log.warn(`Undo summary ignored: ${m.id} is not a summary, or a turn is running`);
      },
      toolApproval: (m) => this.session.resolveApproval(m.id, m.decision),
      cancelTool: (m) => this.session.cancelTool(m.id),
      editMessage: (m) => this.edit(m.id, m.text),
      regenerate: (m) => {
        if (!this.session.regenerate(m.id)) log.warn(`Regenerate ignored: ${m.id} is not the last finished answer`);
      },
      continue: (m) => {
        if (!this.session.continue(m.id))
          log.warn(`Continue ignored: ${m.id} is not the last answer cut at the token limit, or a turn is running`);
      },
      copyMessage: (m) => {
        const text = this.session.messageText(m.id);
        if (text !== undefined) void vscode.env.clipboard.writeText(text);
      },
    });
  }

  /** The view became visible again: it was not posted to while hidden. */
  showAgain(): void {
    this.deps.post(this.session.snapshot());
  }

  /** The settings changed what the shown conversation uses. */
  modelChanged(): void {
    this.deps.post({ type: 'model', model: this.session.modelLabel() });
    void this.session.refreshModel();
  }

  postContext(): void {
    const { context } = this.deps;
    // Images count as the model counts them, not as characters (the page adds those still in the message box).
    const images = historyImageTokens(this.session.messageList, this.session.modelLabel().provider);
    const usedTokens = context.meterTokens() + estimateTokens(this.session.historyChars()) + images;
    // What the server reported for the model on the last turn, else the setting's figure.
    const limitTokens = this.session.contextLimit ?? this.deps.limitTokens();
    this.deps.post({ type: 'context', chips: context.chips(), meter: { usedTokens, ...(limitTokens ? { limitTokens } : {}) } });
  }

  /** Sends with the chips' context, read now. */
  private async send(text: string, images: ImageInput[]): Promise<void> {
    const { post, context } = this.deps;
    const refuse = () => post({ type: 'sendRefused', text, reason: 'An answer is still being written: stop it or wait for it to finish.' });
    // The conversation shown when Enter was pressed: reading the attachments takes a moment, during which
    // the user may open another one; the question must not land there.
    const target = this.session;
    if (this.sending || target.busy) return refuse();
    this.sending = true;
    try {
      // Asked before sending: a model that cannot see would otherwise answer with a server error, or ignore them.
      if (images.length && !(await target.canSee(AbortSignal.timeout(TIMEOUTS.smallResponseMs)))) {
        const { model } = target.modelLabel();
        post({ type: 'sendRefused', text, reason: 'no vision' });
        post({
          type: 'notice',
          text: `${model ?? 'This model'} cannot see images. Pick a model that can (Ollama lists “vision” for it, e.g. llava or gemma3); your question and images are still in the message box.`,
        });
        return;
      }
      const attachments = await context.attachments();
      if (target !== this.session) {
        post({ type: 'sendRefused', text, reason: 'Another conversation was opened before the question went out.' });
        return;
      }
      const labels = target.images.accept(images, target.modelLabel().provider ?? 'ollama');
      if (!target.send(text, attachments, labels)) return refuse();
      context.afterSend();
    } finally {
      this.sending = false;
    }
    this.postContext();
  }

  private edit(id: string, text: string): void {
    const { post, log } = this.deps;
    const edited = this.session.editAndResend(id, text);
    if (!edited) {
      // The edited text goes back into the message box rather than being lost.
      post({ type: 'sendRefused', text, reason: 'not edited' });
      const why = this.session.busy ? 'while an answer is being written' : 'because it is no longer in this conversation';
      return post({ type: 'notice', text: `That question could not be edited ${why}; your text is in the message box.` });
    }
    void this.deps.store.save(edited.earlier).then(
      () =>
        post({
          type: 'notice',
          text: `The conversation before the edit is kept in history as “${edited.earlier.title}”.`,
          action: { label: 'Open', id: `open:${edited.earlier.id}` },
        }),
      (err) => log.error(`Keeping the conversation before the edit failed: ${String(err)}`),
    );
  }
}
