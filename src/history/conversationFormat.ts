/**
 * A conversation as it is stored: the types, the file format (`{ "version": 1, "conversation": {…} }`),
 * reading a file of any version (`migrate`), and what a conversation that was cut off looks like when it is
 * read back. Field-by-field checks of a message live in `storedMessage.ts`.
 */
import { checkMessage, interruptMessage, isMessageUnfinished, isObject, isTime, type StoredMessage } from './storedMessage';

export type { StoredMessage, StoredMessageState, StoredSummary } from './storedMessage';

/** 2: an answer may carry its truncation `note`, and a compaction's `summary` is stored where it was made. */
export const CONVERSATION_FORMAT_VERSION = 2;

export interface StoredModel {
  endpoint: string;
  model?: string;
}

export interface Conversation {
  id: string;
  /** Set when the user renamed the conversation; otherwise the list shows the first question. */
  title?: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; stamped by the store on checkpoint, flush and save. */
  updatedAt: number;
  model?: StoredModel;
  messages: StoredMessage[];
}

export interface ConversationFile {
  version: typeof CONVERSATION_FORMAT_VERSION;
  /** Counts the writes of this file by any process (absent in files written before it existed). */
  rev?: number;
  /** Unique to each write: tells a writer whether the file is still the one it last read or wrote. */
  writeId?: string;
  conversation: Conversation;
}

export type MigrateResult =
  | { ok: true; conversation: Conversation; /** The version the input was in. */ from: number }
  | { ok: false; reason: string; /** Written by a newer version of the extension: leave it alone. */ newer?: boolean };

export const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function assertId(id: string): void {
  if (typeof id !== 'string' || !ID_PATTERN.test(id))
    throw new Error(`Invalid conversation id ${JSON.stringify(id)}: letters, digits, '-' and '_' only`);
}

/**
 * A file's parsed JSON to the current shape, checked field by field. Version 2 only added optional fields
 * (notes, summaries), so a version 1 file reads as it is; a file without a valid version is unreadable, not
 * some older format.
 */
export function migrate(raw: unknown): MigrateResult {
  if (!isObject(raw)) return { ok: false, reason: 'the file does not hold a JSON object' };
  const { version } = raw;
  if (version === undefined) return { ok: false, reason: 'no format version (the "version" field is missing)' };
  if (version === 1 || version === 2) {
    const checked = checkConversation(raw.conversation);
    return typeof checked === 'string' ? { ok: false, reason: checked } : { ok: true, conversation: checked, from: version };
  }
  if (typeof version === 'number' && Number.isInteger(version) && version > CONVERSATION_FORMAT_VERSION) {
    return { ok: false, newer: true, reason: `written in format version ${version} by a newer version of the extension` };
  }
  return { ok: false, reason: `unknown format version ${JSON.stringify(version)}` };
}

/**
 * The conversation in canonical form (only known fields, no undefined keys), or why it is not one.
 * `strict` for what was read from disk; see `checkMessage` for what a write lets through.
 */
function checkConversation(v: unknown, strict = true): Conversation | string {
  if (!isObject(v)) return 'no conversation object';
  if (typeof v.id !== 'string' || !ID_PATTERN.test(v.id)) return 'no valid id';
  if (v.title !== undefined && typeof v.title !== 'string') return 'the title is not text';
  if (!isTime(v.createdAt) || !isTime(v.updatedAt)) return 'no valid createdAt/updatedAt';
  let model: StoredModel | undefined;
  if (v.model !== undefined) {
    if (!isObject(v.model) || typeof v.model.endpoint !== 'string' || (v.model.model !== undefined && typeof v.model.model !== 'string'))
      return 'the model is malformed';
    model = { endpoint: v.model.endpoint, ...(typeof v.model.model === 'string' ? { model: v.model.model } : {}) };
  }
  if (!Array.isArray(v.messages)) return 'no messages array';
  const messages: StoredMessage[] = [];
  for (const [i, m] of v.messages.entries()) {
    const checked = checkMessage(m, strict);
    if (typeof checked === 'string') return `message ${i}: ${checked}`;
    messages.push(checked);
  }
  return {
    id: v.id,
    ...(typeof v.title === 'string' ? { title: v.title } : {}),
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    ...(model ? { model } : {}),
    messages,
  };
}

/** A deep, canonical copy of what the host handed in (drops fields the store does not know, like `seq`). */
export function canonical(c: Conversation): Conversation {
  const checked = checkConversation(c, false);
  if (typeof checked === 'string') throw new Error(`Cannot store conversation ${JSON.stringify(c?.id)}: ${checked}`);
  return checked;
}

/** The list's title: the user's, else the first line of the first question, shortened. */
export function titleOf(c: Pick<Conversation, 'title' | 'messages'>): string {
  const own = c.title?.trim();
  if (own) return own;
  const first = c.messages.find((m) => m.role === 'user' && m.text.trim() !== '');
  if (!first) return 'New chat';
  const line = first.text.trim().split('\n')[0].replace(/\s+/g, ' ').trim();
  const chars = Array.from(line);
  return chars.length > 80 ? `${chars.slice(0, 79).join('').trimEnd()}…` : line;
}

/**
 * What was under way when the editor stopped, as it is read back: a streaming answer becomes interrupted
 * (its text so far kept), a tool call still waiting for approval or running becomes cancelled.
 */
export function markInterrupted(c: Conversation): Conversation {
  for (const m of c.messages) interruptMessage(m);
  return c;
}

/** Whether something in it is still under way (an answer streaming, a tool call waiting or running). */
export const isUnfinished = (c: Conversation) => c.messages.some(isMessageUnfinished);
