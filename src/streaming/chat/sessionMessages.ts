/** A conversation's messages as the view shows them (MessageSnapshot) and as the store keeps them (StoredMessage). */
import type { MessageSnapshot } from '../../shared/protocol';
import { INTERRUPTED } from '../../shared/answerText';
import type { StoredAttachment, StoredMessage, StoredToolCall } from '../../history/storedMessage';

/** Shown on an answer that was still being written when the editor closed or crashed. */

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
  if (m.sources?.length) message.sources = m.sources.map((x) => ({ ...x }));
  if (m.cut) message.cut = m.cut;
  if (m.context?.length) message.context = m.context.map((a) => ({ kind: a.kind, label: a.label, tokens: a.tokens }));
  if (m.note) message.note = { ...m.note, actions: m.note.actions.map((a) => ({ ...a })) };
  if (m.summary) message.summary = { covers: m.summary.covers };
  if (m.images?.length) message.images = m.images.map((i) => ({ ...i }));
  // A summary cut off is not used; compacting again makes a new one, so it has no Retry.
  if (cut) message.error = { message: INTERRUPTED, actions: m.summary ? [] : [{ kind: 'retry', label: 'Retry' }] };
  return message;
}

/**
 * A message as it is stored, with what went with it (`context`: the attachments, exactly as sent; `call`:
 * a tool card's call as the model made it and what it got back).
 */
export function toStored(m: MessageSnapshot, context: StoredAttachment[] | undefined, call?: StoredToolCall): StoredMessage {
  return {
    id: m.id,
    role: m.role,
    text: m.text,
    state: m.state,
    ...(m.error ? { error: m.error } : {}),
    ...(m.tool ? { tool: { ...m.tool } } : {}),
    ...(m.tool && call ? { call: storedCall(call, m.tool.result?.text) } : {}),
    ...(m.metrics ? { metrics: m.metrics } : {}),
    ...(m.thinking ? { thinking: m.thinking } : {}),
    ...(m.sources?.length ? { sources: m.sources.map((x) => ({ ...x })) } : {}),
    ...(m.cut ? { cut: m.cut } : {}),
    ...(m.note ? { note: m.note } : {}),
    ...(m.summary ? { summary: { covers: m.summary.covers } } : {}),
    ...(context?.length ? { context } : {}),
    ...(m.images?.length ? { images: m.images.map((i) => ({ ...i })) } : {}),
  };
}

/** The reply is kept only where it is not the card's result text already (a large result is not stored twice). */
function storedCall(call: StoredToolCall, resultText: string | undefined): StoredToolCall {
  const { reply, ...rest } = call;
  return reply === undefined || reply === resultText ? rest : { ...rest, reply };
}
