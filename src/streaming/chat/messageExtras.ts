import type { StoredAttachment, StoredMessage, StoredToolCall } from '../../history/storedMessage';
import type { MessageSnapshot } from '../../shared/protocol';
import { toStored } from './sessionMessages';

/**
 * What goes with a message but never to the page: a question's attached context, exactly as the model got it,
 * and a tool card's call as the model made it with what it got back (later turns send both again). Stored
 * with the conversation, by message id.
 */
export class MessageExtras {
  private readonly attachments = new Map<string, StoredAttachment[]>();
  private readonly calls = new Map<string, StoredToolCall>();

  /** Keeps a copy of the context a question was sent with (none: nothing kept). */
  attach(messageId: string, context: readonly StoredAttachment[]): void {
    const copy = context.map((a) => ({ ...a }));
    if (copy.length) this.attachments.set(messageId, copy);
  }

  context(messageId: string): StoredAttachment[] {
    return this.attachments.get(messageId) ?? [];
  }

  recordCall(cardId: string, call: StoredToolCall): void {
    this.calls.set(cardId, call);
  }

  call(cardId: string): StoredToolCall | undefined {
    return this.calls.get(cardId);
  }

  /** Drops what went with a message that is no longer in the conversation. */
  forget(messageId: string): void {
    this.attachments.delete(messageId);
    this.calls.delete(messageId);
  }

  /** Takes what went with each stored message, in place of everything before. */
  load(messages: readonly StoredMessage[]): void {
    this.clear();
    for (const m of messages) {
      if (m.context?.length) this.attachments.set(m.id, m.context);
      if (m.call) this.calls.set(m.id, { ...m.call });
    }
  }

  clear(): void {
    this.attachments.clear();
    this.calls.clear();
  }

  /** `m` as it is stored, with what went with it. */
  stored(m: MessageSnapshot): StoredMessage {
    return toStored(m, this.attachments.get(m.id), this.calls.get(m.id));
  }
}
