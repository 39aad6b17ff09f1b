/**
 * The host <-> webview message protocol, defined once and imported by both sides.
 * Messages from the webview are untrusted: the host checks them with `parseWebviewMessage`.
 */

import {
  MAX_IMAGE_BASE64,
  MAX_IMAGES_PER_MESSAGE,
  MAX_MESSAGE_IMAGES_BASE64,
  MAX_THUMB_CHARS,
  sniffBase64,
  type ImageMime,
} from './images';

export type MessageRole = 'user' | 'assistant' | 'tool';
export type MessageState = 'streaming' | 'done' | 'stopped' | 'error';

/** Something the user can do about an error, shown as a button under it. */
export type ErrorAction =
  | { kind: 'openSettings'; label: string; setting: string }
  | { kind: 'showLog'; label: string }
  | { kind: 'pullModel'; label: string; model: string }
  | { kind: 'selectModel'; label: string }
  | { kind: 'retry'; label: string }
  | { kind: 'setApiKey'; label: string };

export interface ChatErrorInfo {
  /** One or two sentences a user can act on. */
  message: string;
  actions: ErrorAction[];
}

export type ToolState = 'pending' | 'running' | 'done' | 'error' | 'cancelled';

/** A tool result cut to what the chat, the model and the saved conversation may hold. */
export interface ToolTruncation {
  /** Size of the tool's whole text output, in UTF-8 bytes. */
  originalBytes: number;
  keptBytes: number;
  /** The full text on disk, for `openToolResult`; absent when it could not be kept. */
  fileId?: string;
  imagesLeftOut?: number;
}

/** One tool call as the chat shows it (a card between the answers of two rounds). */
export interface ToolCallInfo {
  name: string;
  server?: string;
  /** Pretty-printed JSON, or the model's raw text when it was not valid JSON. */
  arguments: string;
  state: ToolState;
  /** Whether the tool says it only reads (readOnlyHint), shown on the approval card. */
  readOnly?: boolean;
  progress?: { progress: number; total?: number; message?: string };
  result?: { text: string; isError: boolean; images?: Array<{ mimeType: string; data: string }>; truncated?: ToolTruncation };
  /** Epoch ms when it started running, for the elapsed time. */
  startedAt?: number;
  durationMs?: number;
}

/** Shown under a finished answer. Token counts are the server's own, when it gives them. */
export interface AnswerMetrics {
  firstTokenMs?: number;
  tokensPerSecond?: number;
  promptTokens?: number;
  completionTokens?: number;
  /** Prompt and answer tokens as a share of the context the server was asked to use (0..1). */
  contextUsed?: number;
}

/** A web page an answer cites (Perplexity's `citations` / `search_results`): `[n]` in the text is the n-th. */
export interface AnswerSource {
  url: string;
  title?: string;
}

/** Why a finished answer is not the whole answer: the server cut it at the token limit. */
export type AnswerCut = 'length';

export interface MessageSnapshot {
  id: string;
  role: MessageRole;
  text: string;
  state: MessageState;
  /** Sequence number of the last delta folded into `text` (assistant messages only). */
  seq: number;
  error?: ChatErrorInfo;
  /** Shown while the model has not produced its first token yet (e.g. "Loading model…"). */
  status?: string;
  metrics?: AnswerMetrics;
  /** Set on role 'tool' items. */
  tool?: ToolCallInfo;
  /** Shown above an answer whose prompt likely no longer fits the model's context. */
  warning?: string;
  /** The model's reasoning before its answer (assistant messages), shown collapsed. */
  thinking?: string;
  /** What was attached to a question (user messages): shown as chips under it. */
  context?: ContextChipLabel[];
  /** The pages the answer cites, shown as links under it (and appended to it on Copy). */
  sources?: AnswerSource[];
  /** Set on an answer the server cut short: the page says so under it, with Continue. */
  cut?: AnswerCut;
  /** Images that went with a question (user messages), as previews. */
  images?: ImageLabel[];
}

/** An image the page prepared for a question: the bytes the model gets (already downscaled) and a preview. */
export interface ImageInput {
  mimeType: ImageMime;
  /** Base64, no data: prefix. */
  data: string;
  width: number;
  height: number;
  /** A small `data:image/…` preview. */
  thumb: string;
}

/** How a sent image is shown under its question. */
export interface ImageLabel {
  /** SHA-256 of its bytes: where the store keeps them. */
  hash: string;
  mimeType: ImageMime;
  width: number;
  height: number;
  thumb: string;
  tokens: number;
}

/** The kinds of context a question can carry. */
export type ContextKind = 'selection' | 'activeFile' | 'file' | 'problems' | 'instructions';

/** How an attached piece of context is shown under the question it went with. */
export interface ContextChipLabel {
  kind: ContextKind;
  label: string;
  tokens: number;
}

/** A chip above the message box: something the next question will carry (or could, when disabled). */
export interface ContextChip extends ContextChipLabel {
  /** Stable while the chip exists; what toggle and remove name. */
  id: string;
  /** Longer description for the tooltip (the path and line range). */
  detail?: string;
  /** Whether it goes with the next question. Selection, active file and instructions can be off. */
  enabled: boolean;
  /** Whether the chip has an × (attached files and problems); the others are toggled instead. */
  removable: boolean;
  /** Said on the chip when the content was cut, e.g. "first 2,000 of 9,100 lines". */
  note?: string;
}

/** How full the model's context will be with the next question (the draft's own tokens are added by the page). */
export interface ContextMeter {
  /** Estimated tokens of the instructions, the conversation so far and the enabled chips. */
  usedTokens: number;
  /** The context the server is asked to use, when known. */
  limitTokens?: number;
}

/** One past conversation in the history list. */
export interface HistoryItem {
  id: string;
  title: string;
  updatedAt: number;
  model?: string;
  messageCount: number;
  /** A line around the match when the list is a search result. */
  snippet?: string;
  /** An answer is still being written in it (a turn that went on while another conversation was shown). */
  busy?: boolean;
}

/** What the empty chat explains: whether the endpoint answers and has models. */
export type SetupState =
  | { state: 'checking' }
  | { state: 'noEndpoint' }
  | { state: 'unreachable'; endpoint: string; url: string; kind: 'ollama' | 'openai' }
  | { state: 'noModels'; endpoint: string; url: string; kind: 'ollama' | 'openai' }
  | { state: 'ready'; endpoint: string; model: string; activeFile?: string };

/**
 * One field of an MCP elicitation form: the spec's primitive schemas (string with a format, number or integer
 * with bounds, boolean, single select as `enum` or `oneOf`, multi select as an array of `enum` or `anyOf`).
 */
export interface ElicitationField {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  title?: string;
  description?: string;
  format?: 'email' | 'uri' | 'date' | 'date-time';
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  /** Titles for `enum`, in its order (the older spelling of a titled single select). */
  enumNames?: string[];
  oneOf?: Array<{ const: string; title: string }>;
  items?: { type?: 'string'; enum?: string[]; anyOf?: Array<{ const: string; title: string }> };
  minItems?: number;
  maxItems?: number;
  default?: string | number | boolean | string[];
}

/** A server asks the user for input while one of its tools runs (`elicitation/create`). */
export interface ElicitationRequest {
  /** Ours, not the server's: what the page's answer names. */
  id: string;
  server: string;
  /** The tool card whose call the request came during; absent when that cannot be told (it shows on its own). */
  cardId?: string;
  /** The conversation it shows in: the card's, or the one on screen when it came. */
  conversationId?: string;
  message: string;
  /** Form mode: the fields asked for. */
  requestedSchema?: { type: 'object'; properties: Record<string, ElicitationField>; required?: string[] };
  /** URL mode: the page the server wants opened, only once the user agrees. */
  url?: string;
}

export type ElicitationAction = 'accept' | 'decline' | 'cancel';
export type ElicitationValue = string | number | boolean | string[];

/** How a streamed message ends: carried by its last delta. */
export interface MessageEnd {
  state: MessageState;
  error?: ChatErrorInfo;
  metrics?: AnswerMetrics;
  cut?: AnswerCut;
}

export interface ModelLabel {
  endpoint: string;
  model: string | undefined;
  /** The endpoint's kind, for estimates the page makes (an image's tokens). */
  provider?: 'ollama' | 'openai';
}

/**
 * The hot path. While an answer streams, its updates go as a bare string `<seq>:<text>` for the one answer
 * being written (a view streams one at a time), not as a `delta` object: at 1,000 tokens/s an update holds
 * about 190 bytes of text, and the object's keys and message id added about 80 more (1.44x the answer's
 * bytes over the wire; the compact form is about 1.05x). The last update of an answer, which carries its
 * end, stays a `delta` object.
 */
export type CompactDelta = string;

export function encodeDelta(seq: number, text: string): CompactDelta {
  return `${seq}:${text}`;
}

export function decodeDelta(message: CompactDelta): { seq: number; text: string } | undefined {
  const colon = message.indexOf(':');
  const seq = Number(message.slice(0, colon));
  return colon > 0 && Number.isInteger(seq) ? { seq, text: message.slice(colon + 1) } : undefined;
}

export type HostToWebview =
  | CompactDelta
  /** The whole conversation: sent when the view (re)loads or becomes visible, replacing what it shows. */
  | { type: 'snapshot'; messages: MessageSnapshot[]; busy: boolean; model: ModelLabel; conversationId?: string }
  | { type: 'messageAdded'; message: MessageSnapshot }
  /** Only the text added since the previous delta for this message; `seq` increases by one each time. */
  | { type: 'delta'; id: string; seq: number; text: string; end?: MessageEnd }
  | { type: 'status'; id: string; status: string | undefined }
  | { type: 'toolUpdate'; id: string; tool: ToolCallInfo }
  | { type: 'warning'; id: string; warning: string }
  | { type: 'busy'; busy: boolean }
  | { type: 'model'; model: ModelLabel }
  | { type: 'focusInput' }
  /** The host did not start a turn for this text (one is running): the webview puts it back. */
  | { type: 'sendRefused'; text: string; reason: string }
  /** An image the user picked in the open dialog (Attach image), for the page to prepare like a pasted one. */
  | { type: 'imageFile'; name: string; data: string }
  /** Reasoning text added to an answer since the previous one (throttled like the answer). */
  | { type: 'thinking'; id: string; text: string }
  /** The pages an answer cites, whole (each post replaces the list). */
  | { type: 'sources'; id: string; sources: AnswerSource[] }
  /** The chips above the message box and the context meter. */
  | { type: 'context'; chips: ContextChip[]; meter: ContextMeter }
  /** The history list (all conversations, or the matches of `query`). */
  | { type: 'history'; items: HistoryItem[]; query: string; activeId?: string }
  | { type: 'setup'; setup: SetupState }
  /** A short message at the bottom of the chat, optionally with one action (e.g. Undo). */
  | { type: 'notice'; text: string; action?: { label: string; id: string } }
  /** A server's form (or page to open) for the user, shown next to the tool card that caused it. */
  | { type: 'elicitation'; request: ElicitationRequest }
  /** The request is answered, or cancelled (Stop, a timeout, its tool call ended): the form goes. */
  | { type: 'elicitationDone'; id: string; action: ElicitationAction }
  /**
   * Several messages posted in one go, handled in order. In the editor each post costs a hop through the
   * extension host's connection, and small ones in quick succession are held back for a round trip each:
   * the start of a turn (question, answer, busy, context) goes as one, so the first token is not behind it.
   */
  | { type: 'batch'; messages: HostToWebview[] };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'send'; text: string; images?: ImageInput[] }
  /** The attach button: the host shows the open dialog for images. */
  | { type: 'attachImage' }
  | { type: 'stop' }
  | { type: 'newChat' }
  | { type: 'selectModel' }
  | { type: 'openLink'; href: string }
  | { type: 'errorAction'; messageId: string; index: number }
  /** Copy goes through the host: the clipboard API is not reliably available inside a webview. */
  | { type: 'toolApproval'; id: string; decision: 'allow' | 'deny' | 'always' }
  | { type: 'cancelTool'; id: string }
  /** Opens the full text of a truncated tool result (`ToolTruncation.fileId`) in an editor. */
  | { type: 'openToolResult'; fileId: string }
  | { type: 'copyText'; text: string }
  | { type: 'insertCode'; text: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  /** Asks for the history list; an empty query lists everything. */
  | { type: 'history'; query: string }
  | { type: 'openConversation'; id: string }
  /** The history list's "Open in editor": the conversation in a new editor tab (moved there if shown here). */
  | { type: 'openInEditor'; id: string }
  | { type: 'renameConversation'; id: string; title: string }
  | { type: 'deleteConversation'; id: string }
  /** The action of the last `notice` (Undo a delete, …). */
  | { type: 'noticeAction'; id: string }
  /** The + button: the host offers a quick pick of what can be attached. */
  | { type: 'addContext' }
  /** Files dragged into the view (URIs as text: the drop's uri-list). */
  | { type: 'dropFiles'; uris: string[] }
  | { type: 'toggleContext'; id: string; enabled: boolean }
  | { type: 'removeContext'; id: string }
  /** Replaces a question (and everything after it) and asks again; the old branch stays in history. */
  | { type: 'editMessage'; id: string; text: string }
  /** Asks again for the last answer. */
  | { type: 'regenerate'; id: string }
  /** Copies a message's own markdown. */
  | { type: 'copyMessage'; id: string }
  /** Asks the model to go on with an answer it was cut off in (`cut: 'length'`). */
  | { type: 'continue'; id: string }
  /** A button of the empty state (the same actions as under an error). */
  | { type: 'setupAction'; action: ErrorAction }
  /** The user's answer to an `elicitation` request: values only with accept, typed as its fields are. */
  | { type: 'elicitationAnswer'; id: string; action: ElicitationAction; content?: Record<string, ElicitationValue> };

/** Larger messages than this are refused: nobody types 1 MB into a chat box. */
export const MAX_WEBVIEW_TEXT = 1_000_000;

type Check = (v: Record<string, unknown>) => boolean;
const isStr = (v: unknown, max = MAX_WEBVIEW_TEXT): v is string => typeof v === 'string' && v.length <= max;

const checks: Record<WebviewToHost['type'], Check> = {
  ready: () => true,
  send: (m) => isStr(m.text) && m.text.trim().length > 0 && (m.images === undefined || areImages(m.images)),
  attachImage: () => true,
  stop: () => true,
  newChat: () => true,
  selectModel: () => true,
  openLink: (m) => isStr(m.href, 8192),
  errorAction: (m) => isStr(m.messageId, 200) && Number.isInteger(m.index) && (m.index as number) >= 0,
  toolApproval: (m) => isStr(m.id, 200) && (m.decision === 'allow' || m.decision === 'deny' || m.decision === 'always'),
  cancelTool: (m) => isStr(m.id, 200),
  openToolResult: (m) => isStr(m.fileId, 100),
  copyText: (m) => isStr(m.text),
  insertCode: (m) => isStr(m.text),
  log: (m) => (m.level === 'info' || m.level === 'warn' || m.level === 'error') && isStr(m.message, 10_000),
  history: (m) => isStr(m.query, 1000),
  openConversation: (m) => isStr(m.id, 200),
  openInEditor: (m) => isStr(m.id, 200),
  renameConversation: (m) => isStr(m.id, 200) && isStr(m.title, 500) && m.title.trim().length > 0,
  deleteConversation: (m) => isStr(m.id, 200),
  noticeAction: (m) => isStr(m.id, 200),
  addContext: () => true,
  dropFiles: (m) => Array.isArray(m.uris) && m.uris.length > 0 && m.uris.length <= 100 && m.uris.every((u) => isStr(u, 8192)),
  toggleContext: (m) => isStr(m.id, 200) && typeof m.enabled === 'boolean',
  removeContext: (m) => isStr(m.id, 200),
  editMessage: (m) => isStr(m.id, 200) && isStr(m.text) && m.text.trim().length > 0,
  regenerate: (m) => isStr(m.id, 200),
  copyMessage: (m) => isStr(m.id, 200),
  continue: (m) => isStr(m.id, 200),
  setupAction: (m) => isAction(m.action),
  elicitationAnswer: (m) =>
    isStr(m.id, 200) &&
    (m.action === 'accept' || m.action === 'decline' || m.action === 'cancel') &&
    (m.content === undefined || (m.action === 'accept' && isElicitationContent(m.content))),
};

const isSide = (v: unknown) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 100_000;
/** Each image's bytes are what they claim to be (checked from the bytes), and none is larger than the caps. */
function areImages(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.length <= MAX_IMAGES_PER_MESSAGE &&
    v.reduce((sum: number, i: { data?: unknown }) => sum + (typeof i?.data === 'string' ? i.data.length : 0), 0) <=
      MAX_MESSAGE_IMAGES_BASE64 &&
    v.every((i: Record<string, unknown>) => {
      if (typeof i !== 'object' || i === null || !isStr(i.data, MAX_IMAGE_BASE64) || !isStr(i.thumb, MAX_THUMB_CHARS)) return false;
      return (
        sniffBase64(i.data) === i.mimeType &&
        /^[A-Za-z0-9+/]*={0,2}$/.test(i.data) &&
        /^data:image\/(png|jpeg|webp|gif);base64,[A-Za-z0-9+/=]+$/.test(i.thumb) &&
        isSide(i.width) &&
        isSide(i.height)
      );
    })
  );
}

/** A form has a few fields; these bounds are far above any real one and far below what could hurt. */
const MAX_ELICITATION_FIELDS = 100;
const MAX_ELICITATION_CHOICES = 100;
function isElicitationContent(c: unknown): boolean {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return false;
  const entries = Object.entries(c);
  return (
    entries.length <= MAX_ELICITATION_FIELDS &&
    entries.every(
      ([key, v]) =>
        key.length <= 200 &&
        (isStr(v, 100_000) ||
          (typeof v === 'number' && Number.isFinite(v)) ||
          typeof v === 'boolean' ||
          (Array.isArray(v) && v.length <= MAX_ELICITATION_CHOICES && v.every((x) => isStr(x, 1000)))),
    )
  );
}

const ACTION_KINDS: readonly ErrorAction['kind'][] = ['openSettings', 'showLog', 'pullModel', 'selectModel', 'retry', 'setApiKey'];
function isAction(a: unknown): boolean {
  if (typeof a !== 'object' || a === null) return false;
  const v = a as Record<string, unknown>;
  if (!ACTION_KINDS.includes(v.kind as ErrorAction['kind']) || !isStr(v.label, 200)) return false;
  if (v.kind === 'openSettings') return isStr(v.setting, 200);
  if (v.kind === 'pullModel') return isStr(v.model, 200);
  return true;
}

/** Returns the message when it has a known type and the right shape, otherwise a reason to log. */
export function parseWebviewMessage(raw: unknown): { ok: true; message: WebviewToHost } | { ok: false; reason: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not an object' };
  const m = raw as Record<string, unknown>;
  if (typeof m.type !== 'string' || !Object.prototype.hasOwnProperty.call(checks, m.type)) {
    return { ok: false, reason: `unknown type ${JSON.stringify(String(m.type)).slice(0, 60)}` };
  }
  const type = m.type as WebviewToHost['type'];
  if (!checks[type](m)) return { ok: false, reason: `malformed '${type}' message` };
  return { ok: true, message: m as unknown as WebviewToHost };
}
