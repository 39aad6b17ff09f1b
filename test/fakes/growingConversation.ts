/**
 * A conversation that grows step by step, the same way in the checkpoint writer (a child process the tests
 * SIGKILL) and in the test that checks what survived: `conversationAt(k)` is the state after step k, and
 * `stepOf` tells which step a stored conversation is at. Each turn has a tool call that runs (with
 * progress) while the answer streams, and a finished answer carries metrics.
 */
import type { Conversation } from '../../src/history/conversationFormat';
import { TOOL_INTERRUPTED, type StoredMessage } from '../../src/history/storedMessage';

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
  return {
    id: GROWING_ID,
    createdAt: 1_800_000_000_000,
    updatedAt: 1_800_000_000_000,
    model: { endpoint: 'Ollama', model: 'llama3.2' },
    messages,
  };
}

/**
 * Applies step k (k >= 1): a token (and the running tool call's progress), or every TURN_EVERY steps, the
 * end of the answer and of the tool call, and a new turn with a new tool call.
 */
export function applyStep(c: Conversation, k: number): 'token' | 'stateChange' {
  const last = c.messages[c.messages.length - 1];
  const running = c.messages.find((m) => m.tool?.state === 'running');
  if (k % TURN_EVERY === 0) {
    last.state = 'done';
    last.metrics = { firstTokenMs: 100 + k, tokensPerSecond: 12.5, promptTokens: 40 * k, completionTokens: TURN_EVERY };
    if (running?.tool) {
      running.tool.state = 'done';
      delete running.tool.progress;
      running.tool.durationMs = k;
      running.tool.result = { text: `Result of call ${running.id}: ${filler(k, 300)}`, isError: false };
    }
    c.messages.push({ id: `q${k}`, role: 'user', text: `Question ${k}: ${filler(k, 200)}`, state: 'done' });
    c.messages.push({
      id: `tool${k}`,
      role: 'tool',
      text: '',
      state: 'done',
      tool: {
        name: 'read_file',
        server: 'filesystem',
        arguments: JSON.stringify({ path: `/tmp/${k}.txt` }, null, 2),
        state: 'running',
        readOnly: true,
        startedAt: 1_800_000_000_000 + k,
        progress: { progress: 0, total: TURN_EVERY },
      },
    });
    c.messages.push({ id: `a${k}`, role: 'assistant', text: '', state: 'streaming' });
    return 'stateChange';
  }
  last.text += `t${k} `;
  if (running?.tool?.progress) running.tool.progress = { progress: k % TURN_EVERY, total: TURN_EVERY, message: `step ${k}` };
  return 'token';
}

export function conversationAt(k: number): Conversation {
  const c = baseConversation();
  for (let i = 1; i <= k; i++) applyStep(c, i);
  return c;
}

/**
 * The state after step k as a store reads it back after the writer died: the streaming answer interrupted,
 * the running tool call cancelled (written out here rather than borrowed from the store, so it checks it).
 */
export function interruptedAt(k: number): Conversation {
  const c = conversationAt(k);
  for (const m of c.messages) {
    if (m.state === 'streaming') m.state = 'interrupted';
    if (m.tool?.state === 'running') {
      m.tool.state = 'cancelled';
      delete m.tool.progress;
      m.tool.result = { text: TOOL_INTERRUPTED, isError: true };
    }
  }
  return c;
}

/** The step a conversation of this shape is at. */
export function stepOf(c: Conversation): number {
  const last = c.messages[c.messages.length - 1];
  const token = /t(\d+) $/.exec(last.text);
  if (token) return Number(token[1]);
  return Number(/^a(\d+)$/.exec(last.id)?.[1] ?? NaN);
}
