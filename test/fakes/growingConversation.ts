/**
 * A conversation that grows step by step, the same way in the checkpoint writer (a child process the tests
 * SIGKILL) and in the test that checks what survived: `conversationAt(k)` is the state after step k, and
 * `stepOf` tells which step a stored conversation is at.
 */
import type { Conversation, StoredMessage } from '../../src/streaming/conversationStore';

export const GROWING_ID = 'growing-0001';
/** Every this many steps the answer ends (a state change, flushed at once) and a new question starts one. */
export const TURN_EVERY = 25;

function filler(seed: number, length: number): string {
  const words = ['lorem', 'ipsum', 'Grüße', '日本語', '🚀', 'code', '`x`', '"q"', '\\', 'line\n', 'tab\t'];
  let s = '';
  for (let i = 0; s.length < length; i++) s += words[(seed * 7 + i * 13) % words.length] + ' ';
  return s.slice(0, length);
}

/** Step 0: 40 finished messages of about 1 KB, then an answer that has just started streaming. */
export function baseConversation(): Conversation {
  const messages: StoredMessage[] = [];
  for (let i = 0; i < 40; i++) {
    messages.push({ id: `base-${i}`, role: i % 2 === 0 ? 'user' : 'assistant', text: filler(i, 1000), state: 'done' });
  }
  messages.push({ id: 'q0', role: 'user', text: 'Question 0', state: 'done' });
  messages.push({ id: 'a0', role: 'assistant', text: '', state: 'streaming' });
  return { id: GROWING_ID, createdAt: 1_800_000_000_000, updatedAt: 1_800_000_000_000, model: { endpoint: 'Ollama', model: 'llama3.2' }, messages };
}

/** Applies step k (k >= 1): a token, or every TURN_EVERY steps, the end of the answer and a new turn. */
export function applyStep(c: Conversation, k: number): 'token' | 'stateChange' {
  const last = c.messages[c.messages.length - 1];
  if (k % TURN_EVERY === 0) {
    last.state = 'done';
    c.messages.push({ id: `q${k}`, role: 'user', text: `Question ${k}: ${filler(k, 200)}`, state: 'done' });
    c.messages.push({ id: `a${k}`, role: 'assistant', text: '', state: 'streaming' });
    return 'stateChange';
  }
  last.text += `t${k} `;
  return 'token';
}

export function conversationAt(k: number): Conversation {
  const c = baseConversation();
  for (let i = 1; i <= k; i++) applyStep(c, i);
  return c;
}

/** The step a conversation of this shape is at. */
export function stepOf(c: Conversation): number {
  const last = c.messages[c.messages.length - 1];
  const token = /t(\d+) $/.exec(last.text);
  if (token) return Number(token[1]);
  return Number(/^a(\d+)$/.exec(last.id)?.[1] ?? NaN);
}
