/**
 * Summaries the user undid. The page no longer shows them and requests no longer use them, but the
 * conversation keeps them on disk where they were made (`summary.undone`), like every message it ever had.
 */
import type { StoredMessage } from '../../history/storedMessage';

interface Undone {
  message: StoredMessage;
  /** The message it followed; undefined: the conversation's start. */
  after: string | undefined;
}

export class UndoneSummaries {
  private undone: Undone[] = [];

  /** Keeps the undone summaries of a stored conversation aside and returns the rest. */
  restore(stored: readonly StoredMessage[]): StoredMessage[] {
    this.undone = [];
    const rest: StoredMessage[] = [];
    for (const m of stored) {
      if (m.summary?.undone) this.undone.push({ message: m, after: rest.at(-1)?.id });
      else rest.push(m);
    }
    return rest;
  }

  add(message: StoredMessage, after: string | undefined): void {
    this.undone.push({ message: { ...message, summary: { covers: message.summary?.covers ?? 0, undone: true } }, after });
  }

  clear(): void {
    this.undone = [];
  }

  /** The stored messages with the undone summaries back in place; one whose place was edited away goes with it. */
  interleave(stored: StoredMessage[]): StoredMessage[] {
    if (this.undone.length === 0) return stored;
    const out: StoredMessage[] = [];
    const emit = (after: string | undefined) => {
      for (const u of this.undone) if (u.after === after) out.push(u.message);
    };
    emit(undefined);
    for (const m of stored) {
      out.push(m);
      if (!m.summary?.undone) emit(m.id);
    }
    return out;
  }
}
