/**
 * What to write when another writer (another window) changed a conversation's file since this process
 * last read or wrote it. Messages are matched by id: a message with the same id is the same message,
 * perhaps further along. When one list of ids starts with the other, the two are one history and the
 * longer one wins, message by message keeping the version further along; otherwise they went different
 * ways, and both are kept (the caller saves ours as a new conversation).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Conversation, StoredMessage } from './conversationFormat';
import { TOOL_INTERRUPTED } from './storedMessage';

export type MergeResult =
  | { kind: 'merged'; conversation: Conversation; /** Whether it holds something ours did not. */ tookFromDisk: boolean }
  | { kind: 'diverged' };

export function mergeConversations(ours: Conversation, disk: Conversation): MergeResult {
  const shared = Math.min(ours.messages.length, disk.messages.length);
  for (let i = 0; i < shared; i++) if (ours.messages[i].id !== disk.messages[i].id) return { kind: 'diverged' };
  let tookFromDisk = disk.messages.length > ours.messages.length;
  const longer = tookFromDisk ? disk.messages : ours.messages;
  const messages = longer.map((m, i) => {
    if (i >= shared) return m;
    const pick = furtherAlong(ours.messages[i], disk.messages[i]);
    if (pick !== ours.messages[i]) tookFromDisk = true;
    return pick;
  });
  const title = ours.title ?? disk.title;
  if (title !== ours.title) tookFromDisk = true;
  return {
    kind: 'merged',
    tookFromDisk,
    conversation: {
      ...ours,
      ...(title !== undefined ? { title } : {}),
      createdAt: Math.min(ours.createdAt, disk.createdAt),
      updatedAt: Math.max(ours.updatedAt, disk.updatedAt),
      messages,
    },
  };
}

/**
 * Of two versions of one message, ours unless ours is only what a reader made of an unfinished message
 * (`markInterrupted`) while the other is the writer's own.
 */
function furtherAlong(ours: StoredMessage, disk: StoredMessage): StoredMessage {
  if (isDeepStrictEqual(ours, disk)) return ours;
  return cutOffByReader(ours) && !cutOffByReader(disk) ? disk : ours;
}

const cutOffByReader = (m: StoredMessage) =>
  m.state === 'interrupted' || (m.tool?.state === 'cancelled' && m.tool.result?.text === TOOL_INTERRUPTED);
