/**
 * A conversation as a JSON export with everything in it (context, tool calls and results, metrics), and
 * importing one. The conversation inside is the stored format (`conversationFormat.ts`) in a small envelope;
 * an import is a file from anywhere, so it goes through the same checks as a stored file and more: sizes,
 * message ids, and a new id of its own so that it never replaces a conversation already in the history.
 */
import { randomUUID } from 'node:crypto';
import {
  canonical,
  CONVERSATION_FORMAT_VERSION,
  ID_PATTERN,
  markInterrupted,
  migrate,
  titleOf,
  type Conversation,
} from './conversationFormat';
import { formatBytes } from './storageBound';
import { isObject } from './storedMessage';

export const EXPORT_KIND = 'model-chat-conversation';

/** `version` is the stored format's: an export from a newer extension is refused as a newer stored file is. */
export interface ConversationExport {
  kind: typeof EXPORT_KIND;
  version: number;
  /** ISO 8601. */
  exportedAt: string;
  conversation: Conversation;
}

/** Far above any real conversation (answers and capped tool results), far below what stalls the editor. */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;
const MAX_STRING_CHARS = 4_000_000;
const MAX_TITLE_CHARS = 500;
const MAX_MESSAGES = 20_000;
/** `call.extra` is free-form JSON from a server: deep enough for any real one, not for a stack-blowing one. */
const MAX_DEPTH = 32;
const MAX_KEY_CHARS = 200;

export type ImportResult = { ok: true; conversation: Conversation } | { ok: false; reason: string };

export function exportJson(c: Conversation, exportedAt: number): string {
  const envelope: ConversationExport = {
    kind: EXPORT_KIND,
    version: CONVERSATION_FORMAT_VERSION,
    exportedAt: new Date(exportedAt).toISOString(),
    conversation: canonical(c),
  };
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

/**
 * The conversation in an export's text, checked, under a new id (its title kept); or what is wrong with
 * it, as the rest of a sentence ("… cannot be imported: <reason>").
 */
export function parseImport(text: string, newId: () => string = randomUUID): ImportResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_IMPORT_BYTES)
    return refuse(`the file is ${formatBytes(bytes)}, more than the ${formatBytes(MAX_IMPORT_BYTES)} an export can be`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return refuse(`it is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(raw) || raw.kind !== EXPORT_KIND) return refuse(`it is not a Model Chat conversation export (no "kind": "${EXPORT_KIND}")`);
  const oversized = findOversized(raw.conversation, 'conversation', 0);
  if (oversized) return refuse(oversized);
  const migrated = migrate({ version: raw.version, conversation: raw.conversation });
  if (!migrated.ok) return refuse(migrated.reason);
  const c = migrated.conversation;
  if (c.title !== undefined && Array.from(c.title).length > MAX_TITLE_CHARS)
    return refuse(`the title is longer than ${MAX_TITLE_CHARS} characters`);
  if (c.messages.length > MAX_MESSAGES) return refuse(`it has ${c.messages.length} messages, more than ${MAX_MESSAGES}`);
  const seen = new Set<string>();
  for (const [i, m] of c.messages.entries()) {
    // The page finds a message by its id: it must be a plain, unique name.
    if (!ID_PATTERN.test(m.id)) return refuse(`message ${i} has an invalid id (letters, digits, '-' and '_' only)`);
    if (seen.has(m.id)) return refuse(`message ${i} has the same id as an earlier one`);
    seen.add(m.id);
  }
  // Nothing is answering in an imported conversation: what was under way reads as cut off, as after a crash.
  return { ok: true, conversation: markInterrupted({ ...c, id: newId(), title: importedTitle(c) }) };
}

const IMPORTED = ' (imported)';

/** The original is often still in the history list: the same name twice would leave the user guessing which is which. */
function importedTitle(c: Conversation): string {
  const title = titleOf(c);
  if (title.endsWith(IMPORTED)) return title;
  return (
    Array.from(title)
      .slice(0, MAX_TITLE_CHARS - IMPORTED.length)
      .join('') + IMPORTED
  );
}

const refuse = (reason: string): ImportResult => ({ ok: false, reason });

/** The first string longer than any real field could be, or nesting deeper than any real one, as a reason. */
function findOversized(v: unknown, path: string, depth: number): string | undefined {
  if (typeof v === 'string')
    return v.length > MAX_STRING_CHARS
      ? `${path} is ${v.length.toLocaleString('en-US')} characters long, more than the ${MAX_STRING_CHARS.toLocaleString('en-US')} allowed`
      : undefined;
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth > MAX_DEPTH) return `${path} is nested more than ${MAX_DEPTH} levels deep`;
  if (Array.isArray(v)) {
    for (const [i, item] of v.entries()) {
      const found = findOversized(item, `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(v)) {
    if (key.length > MAX_KEY_CHARS) return `${path} has a field name ${key.length.toLocaleString('en-US')} characters long`;
    const found = findOversized(item, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}
