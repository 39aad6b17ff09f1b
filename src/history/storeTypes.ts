import type { ImageBlobs } from './imageBlobs';
/** The shapes the conversation store's API takes and hands back. */
import type { Conversation } from './conversationFormat';
import type { ConversationSummary } from './conversationIndex';
import type { WallClock } from '../shared/clock';
import type { Logger } from '../shared/log';

export interface StoreProblem {
  /** File name inside the store's directory. */
  file: string;
  kind: 'corrupt' | 'newerVersion' | 'unreadable';
  /** Why, as the rest of a sentence that starts with the file name: `${file} ${reason}`. */
  reason: string;
  /** Where the file was kept aside (corrupt files only; absent if moving it failed). */
  movedTo?: string;
}

export interface ListResult {
  /** Most recently updated first. */
  conversations: ConversationSummary[];
  problems: StoreProblem[];
}

export interface LoadResult {
  conversation: Conversation | undefined;
  problems: StoreProblem[];
}

/** What `delete` hands back so that `restore` can undo it. */
export interface DeletedConversation {
  conversation: Conversation;
  summary: ConversationSummary;
}

export interface WriteEvent {
  id: string;
  /** Counts checkpoint/flush/save calls for this conversation in this process; the one this write carried. */
  revision: number;
  bytes: number;
  /** The conversation exactly as written. */
  conversation: Conversation;
}

/** This window's version of a conversation went on as a copy, because another window wrote a different one under its id. */
export interface ConversationFork {
  /** The id this window wrote it under; its file now holds the other window's version. */
  from: string;
  /** The copy's id, where this window's version and its later writes are. */
  to: string;
  /** The copy's title: "<title> (other window)". */
  title: string;
}

export interface ConversationStoreOptions {
  dir: string;
  /** `now()` must be epoch ms (timestamps and the checkpoint interval). Default: Date.now and real timers. */
  clock?: WallClock;
  log?: Logger;
  checkpointIntervalMs?: number;
  /**
   * Where the conversations' images are kept: then `usage` counts them, and `prune` and `sweepImages`
   * delete those no conversation has any more.
   */
  images?: ImageBlobs;
  /** After each conversation file write has landed (tests, diagnostics). */
  onWrite?(event: WriteEvent): void;
}
