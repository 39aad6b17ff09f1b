/**
 * One message as it is stored, checked field by field: a question, an answer, or a tool call's card
 * (role 'tool', with the call in `tool`). A wrong shape makes the whole file corrupt (the store moves it
 * aside and says so) rather than half-loading it.
 */
import type {
  AnswerCut,
  AnswerMetrics,
  AnswerNote,
  AnswerSource,
  ChatErrorInfo,
  ContextKind,
  ErrorAction,
  MessageRole,
  ToolCallInfo,
  ToolState,
} from '../shared/protocol';
import { checkImages, type StoredImage } from './storedImage';

/** A message's state on disk: the webview's states plus `interrupted` (the editor died mid-answer). */
export type StoredMessageState = 'streaming' | 'done' | 'stopped' | 'error' | 'interrupted';

export interface StoredMessage {
  id: string;
  role: MessageRole;
  text: string;
  state: StoredMessageState;
  error?: ChatErrorInfo;
  /** The call a role 'tool' message shows (required there, absent on every other role). */
  tool?: ToolCallInfo;
  /** What the model said and got for that call beyond what the card shows (role 'tool' only; absent in older files). */
  call?: StoredToolCall;
  /** Timing and token counts shown under a finished answer. */
  metrics?: AnswerMetrics;
  /** The model's reasoning before the answer (assistant messages). */
  thinking?: string;
  /** What was attached to the question (user messages), exactly as the model got it, so later turns and a retry send the same. */
  context?: StoredAttachment[];
  /** The pages the answer cites (Perplexity), shown as links under it. */
  sources?: AnswerSource[];
  /** Images that went with the question (user messages): previews here, bytes in the image store. */
  images?: StoredImage[];
  /** The server cut the answer at its token limit. */
  cut?: AnswerCut;
  /** The model saw only part of the conversation when it wrote this answer (format 2 on). */
  note?: AnswerNote;
  /** This answer is a compaction's summary of the messages before it (format 2 on). */
  summary?: StoredSummary;
}

/**
 * A compaction's summary. It stands where it was made: requests send it instead of the `covers` messages
 * before it, which stay stored. An undone one is kept (the user may want to read it) but no longer used.
 */
export interface StoredSummary {
  covers: number;
  undone?: boolean;
}

/**
 * A tool call as later requests send it back: the card has its name, arguments and result; this has the
 * rest. Files written before it existed have none, and their calls get an id made from the card's.
 */
export interface StoredToolCall {
  /** The call's id: the server's own, or one given when it was recorded (Ollama sends none), so every endpoint can pair call and result. */
  id: string;
  /** Provider-specific fields of the call exactly as received (e.g. Gemini's `extra_content`), sent back unchanged. */
  extra?: Record<string, unknown>;
  /** What the model got back, when it is not the card's result text (a failure's reason carries a prefix): a large result is not stored twice. */
  reply?: string;
}

/** A piece of context that went with a question. */
export interface StoredAttachment {
  kind: ContextKind;
  label: string;
  /** What the model got for it. */
  text: string;
  tokens: number;
  note?: string;
  detail?: string;
}

/** The result a tool call gets when it was waiting or running as the editor closed. */
export const TOOL_INTERRUPTED = 'Interrupted: the editor closed while this tool call was running.';

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isText = (v: unknown): v is string => typeof v === 'string';
const isFlag = (v: unknown): v is boolean => typeof v === 'boolean';
/** Absent (or undefined, which JSON drops) or passing `test`. */
const optional = (v: unknown, test: (v: unknown) => boolean) => v === undefined || test(v);

const ROLES: readonly MessageRole[] = ['user', 'assistant', 'tool'];
const STATES: readonly StoredMessageState[] = ['streaming', 'done', 'stopped', 'error', 'interrupted'];
const TOOL_STATES: readonly ToolState[] = ['pending', 'running', 'done', 'error', 'cancelled'];
const CONTEXT_KINDS: readonly ContextKind[] = ['selection', 'activeFile', 'file', 'problems', 'instructions', 'resource'];
const METRICS = ['firstTokenMs', 'tokensPerSecond', 'promptTokens', 'completionTokens', 'contextUsed'] as const;

/**
 * The message in canonical form (only known fields, no undefined keys), or why it is not one.
 * `strict` is for what was read from disk. A write (not strict) drops a metric that is not a finite number
 * instead (a server's null token count must not stop the conversation from being saved); every other
 * field is checked the same either way.
 */
export function checkMessage(m: unknown, strict = true): StoredMessage | string {
  if (!isObject(m)) return 'not an object';
  if (typeof m.id !== 'string' || m.id.length === 0) return 'no id';
  if (!ROLES.includes(m.role as MessageRole)) return `unknown role ${JSON.stringify(m.role)}`;
  if (typeof m.text !== 'string') return 'no text';
  if (!STATES.includes(m.state as StoredMessageState)) return `unknown state ${JSON.stringify(m.state)}`;
  let error: ChatErrorInfo | undefined;
  if (m.error !== undefined) {
    if (!isObject(m.error) || typeof m.error.message !== 'string') return 'malformed error';
    error = { message: m.error.message, actions: knownActions(m.error.actions) };
  }
  let tool: ToolCallInfo | undefined;
  if (m.role === 'tool') {
    if (m.tool === undefined) return 'a tool message without its tool call';
    const checked = checkTool(m.tool);
    if (typeof checked === 'string') return `malformed tool call (${checked})`;
    tool = checked;
  } else if (m.tool !== undefined || m.call !== undefined) {
    return `a tool call on a message of role ${JSON.stringify(m.role)}`;
  }
  let call: StoredToolCall | undefined;
  if (m.call !== undefined) {
    const c = m.call;
    if (!isObject(c) || !isText(c.id) || c.id.length === 0 || !optional(c.extra, isObject) || !optional(c.reply, isText))
      return 'malformed tool call record';
    call = {
      id: c.id,
      ...(isObject(c.extra) ? { extra: structuredClone(c.extra) } : {}),
      ...(isText(c.reply) ? { reply: c.reply } : {}),
    };
  }
  let metrics: AnswerMetrics | undefined;
  if (m.metrics !== undefined) {
    const checked = checkMetrics(m.metrics, strict);
    if (typeof checked === 'string') return `malformed metrics (${checked})`;
    metrics = checked;
  }
  if (!optional(m.thinking, isText)) return 'thinking is not text';
  // Sources are links shown under the answer: an entry that is not an http(s) URL is dropped, not trusted.
  const sources = Array.isArray(m.sources)
    ? (m.sources as unknown[])
        .filter((x): x is Record<string, unknown> => isObject(x) && isText(x.url) && /^https?:\/\//i.test(x.url))
        .map((x) => ({ url: x.url as string, ...(isText(x.title) ? { title: x.title } : {}) }))
    : undefined;
  let summary: StoredSummary | undefined;
  if (m.summary !== undefined) {
    const sm = m.summary;
    if (m.role !== 'assistant') return `a summary on a message of role ${JSON.stringify(m.role)}`;
    if (!isObject(sm) || !Number.isInteger(sm.covers) || (sm.covers as number) < 0 || !optional(sm.undone, isFlag))
      return 'malformed summary';
    summary = { covers: sm.covers as number, ...(sm.undone === true ? { undone: true } : {}) };
  }
  const note = checkNote(m.note);
  if (typeof note === 'string') return note;
  let context: StoredAttachment[] | undefined;
  if (m.context !== undefined) {
    if (!Array.isArray(m.context)) return 'context is not a list';
    context = [];
    for (const a of m.context) {
      const checked = checkAttachment(a);
      if (typeof checked === 'string') return `malformed context (${checked})`;
      context.push(checked);
    }
  }
  const images = m.role === 'user' ? checkImages(m.images) : undefined;
  return {
    id: m.id,
    role: m.role as MessageRole,
    text: m.text,
    state: m.state as StoredMessageState,
    ...(error ? { error } : {}),
    ...(tool ? { tool } : {}),
    ...(call ? { call } : {}),
    ...(metrics ? { metrics } : {}),
    ...(isText(m.thinking) && m.thinking ? { thinking: m.thinking } : {}),
    ...(context?.length ? { context } : {}),
    ...(sources?.length ? { sources } : {}),
    ...(images ? { images } : {}),
    ...(m.cut === 'length' ? { cut: 'length' as const } : {}),
    ...(note ? { note } : {}),
    ...(summary ? { summary } : {}),
  };
}

/** Actions are conveniences: one this version does not know is dropped, not a reason to lose the conversation. */
const knownActions = (v: unknown): ErrorAction[] =>
  Array.isArray(v)
    ? (v.filter((a) => isObject(a) && typeof a.kind === 'string' && typeof a.label === 'string') as unknown as ErrorAction[]).map((a) => ({
        ...a,
      }))
    : [];

function checkNote(n: unknown): AnswerNote | undefined | string {
  if (n === undefined) return undefined;
  if (!isObject(n) || n.kind !== 'truncated' || !isTime(n.seen) || !isTime(n.sent)) return 'malformed note';
  return { kind: 'truncated', seen: n.seen, sent: n.sent, actions: knownActions(n.actions) };
}

function checkAttachment(a: unknown): StoredAttachment | string {
  if (!isObject(a)) return 'not an object';
  if (!CONTEXT_KINDS.includes(a.kind as ContextKind)) return `unknown kind ${JSON.stringify(a.kind)}`;
  if (!isText(a.label) || !isText(a.text) || !isTime(a.tokens)) return 'no label, text or tokens';
  if (!optional(a.note, isText) || !optional(a.detail, isText)) return 'note or detail is not text';
  return {
    kind: a.kind as ContextKind,
    label: a.label,
    text: a.text,
    tokens: a.tokens,
    ...(isText(a.note) ? { note: a.note } : {}),
    ...(isText(a.detail) ? { detail: a.detail } : {}),
  };
}

function checkTool(t: unknown): ToolCallInfo | string {
  if (!isObject(t)) return 'not an object';
  if (!isText(t.name)) return 'no name';
  if (!optional(t.server, isText)) return 'the server is not text';
  if (!isText(t.arguments)) return 'no arguments';
  if (!TOOL_STATES.includes(t.state as ToolState)) return `unknown state ${JSON.stringify(t.state)}`;
  if (!optional(t.readOnly, isFlag)) return 'readOnly is not a boolean';
  if (!optional(t.startedAt, isTime)) return 'startedAt is not a time';
  if (!optional(t.durationMs, isTime)) return 'durationMs is not a number';
  let progress: ToolCallInfo['progress'];
  if (t.progress !== undefined) {
    const p = t.progress;
    if (!isObject(p) || !isTime(p.progress) || !optional(p.total, isTime) || !optional(p.message, isText)) return 'malformed progress';
    progress = {
      progress: p.progress,
      ...(isTime(p.total) ? { total: p.total } : {}),
      ...(isText(p.message) ? { message: p.message } : {}),
    };
  }
  let result: ToolCallInfo['result'];
  if (t.result !== undefined) {
    const r = t.result;
    if (!isObject(r) || !isText(r.text) || !isFlag(r.isError)) return 'malformed result';
    if (!optional(r.images, (v) => Array.isArray(v) && v.every((i) => isObject(i) && isText(i.mimeType) && isText(i.data))))
      return 'malformed result images';
    const images = (r.images as Array<{ mimeType: string; data: string }> | undefined)?.map((i) => ({
      mimeType: i.mimeType,
      data: i.data,
    }));
    // A note the card shows; a malformed one is dropped (the text still says it was cut).
    const tr = r.truncated;
    const truncated =
      isObject(tr) && isTime(tr.originalBytes) && isTime(tr.keptBytes)
        ? {
            originalBytes: tr.originalBytes,
            keptBytes: tr.keptBytes,
            ...(isText(tr.fileId) ? { fileId: tr.fileId } : {}),
            ...(isTime(tr.imagesLeftOut) ? { imagesLeftOut: tr.imagesLeftOut } : {}),
          }
        : undefined;
    // Resource links the card offers; malformed ones are dropped (the text names them too).
    const links = Array.isArray(r.links)
      ? r.links
          .filter((l): l is Record<string, unknown> => isObject(l) && isText(l.uri) && isText(l.name))
          .map((l) => ({ uri: l.uri as string, name: l.name as string, ...(isText(l.mimeType) ? { mimeType: l.mimeType } : {}) }))
      : [];
    result = {
      text: r.text,
      isError: r.isError,
      ...(images ? { images } : {}),
      ...(truncated ? { truncated } : {}),
      ...(links.length ? { links } : {}),
    };
  }
  return {
    name: t.name,
    ...(isText(t.server) ? { server: t.server } : {}),
    arguments: t.arguments,
    state: t.state as ToolState,
    ...(isFlag(t.readOnly) ? { readOnly: t.readOnly } : {}),
    ...(progress ? { progress } : {}),
    ...(result ? { result } : {}),
    ...(isTime(t.startedAt) ? { startedAt: t.startedAt } : {}),
    ...(isTime(t.durationMs) ? { durationMs: t.durationMs } : {}),
  };
}

function checkMetrics(v: unknown, strict: boolean): AnswerMetrics | string {
  if (!isObject(v)) return 'not an object';
  const metrics: AnswerMetrics = {};
  for (const key of METRICS) {
    const value = v[key];
    if (isTime(value)) metrics[key] = value;
    else if (value !== undefined && strict) return `${key} is not a number`;
  }
  return metrics;
}

/** Whether the message is still under way: an answer streaming, a tool call waiting for approval or running. */
export const isMessageUnfinished = (m: StoredMessage) =>
  m.state === 'streaming' || m.tool?.state === 'pending' || m.tool?.state === 'running';

/** Marks a message that was under way when the editor stopped (see `isMessageUnfinished`) as cut off. */
export function interruptMessage(m: StoredMessage): void {
  if (m.state === 'streaming') m.state = 'interrupted';
  if (m.tool && (m.tool.state === 'pending' || m.tool.state === 'running')) {
    m.tool.state = 'cancelled';
    delete m.tool.progress;
    m.tool.result = { text: TOOL_INTERRUPTED, isError: true };
  }
}
