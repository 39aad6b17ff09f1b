/** A conversation's messages as the view shows them (MessageSnapshot) and as the store keeps them (StoredMessage). */
import type { MessageSnapshot } from '../../shared/protocol';
import type { StoredAttachment, StoredMessage } from '../../history/storedMessage';

/** Shown on an answer that was still being written when the editor closed or crashed. */
export const INTERRUPTED = 'Interrupted: VS Code closed while this answer was being written.';

/**
 * A stored message as the view shows it. An answer the editor was still writing when it closed comes back
 * as an error that says so, with Retry. Attachments stay with the session; the view gets their chips.
 */
export function fromStored(m: StoredMessage): MessageSnapshot {
  const state = m.state === 'interrupted' || m.state === 'streaming' ? undefined : m.state;
  const cut = state === undefined;
  const message: MessageSnapshot = { id: m.id, role: m.role, text: m.text, state: state ?? 'error', seq: 0 };
  if (m.error) message.error = m.error;
  if (m.tool) message.tool = m.tool;
  if (m.metrics) message.metrics = m.metrics;
  if (m.thinking) message.thinking = m.thinking;
  if (m.context?.length) message.context = m.context.map((a) => ({ kind: a.kind, label: a.label, tokens: a.tokens }));
  if (cut) message.error = { message: INTERRUPTED, actions: [{ kind: 'retry', label: 'Retry' }] };
  return message;
}

/** A message as it is stored, with what went with it (`context`: the attachments, exactly as sent). */
export function toStored(m: MessageSnapshot, context: StoredAttachment[] | undefined): StoredMessage {
  return {
    id: m.id,
    role: m.role,
    text: m.text,
    state: m.state,
    ...(m.error ? { error: m.error } : {}),
    ...(m.tool ? { tool: { ...m.tool } } : {}),
    ...(m.metrics ? { metrics: m.metrics } : {}),
    ...(m.thinking ? { thinking: m.thinking } : {}),
    ...(context?.length ? { context } : {}),
  };
}
