/**
 * The host <-> webview message protocol, defined once and imported by both sides.
 * Messages from the webview are untrusted: the host checks them with `parseWebviewMessage`.
 */

import type { ImageMime } from './images';

// The checks live apart from the shapes they check; both sides import the protocol from here.
export { MAX_WEBVIEW_TEXT, parseWebviewMessage } from './webviewMessageCheck';

export type MessageRole = 'user' | 'assistant' | 'tool';
export type MessageState = 'streaming' | 'done' | 'stopped' | 'error';

/** Something the user can do about an error, shown as a button under it. */
export type ErrorAction =
  | { kind: 'openSettings'; label: string; setting: string }
  | { kind: 'showLog'; label: string }
  | { kind: 'pullModel'; label: string; model: string }
  | { kind: 'selectModel'; label: string }
  | { kind: 'retry'; label: string }
  | { kind: 'setApiKey'; label: string }
  /** The built-in llama.cpp engine: switch to it, or add a GGUF model to it. */
  | { kind: 'useBuiltIn'; label: string }
  | { kind: 'addModel'; label: string }
  /** Summarises the older part of the conversation (modelChat.compactConversation). */
  | { kind: 'compact'; label: string }
  /** Download one of src/shared/suggestedModels.ts by its name (the host looks the URL up), or pick a file. */
  | { kind: 'downloadModel'; label: string; model: string }
  | { kind: 'pickModelFile'; label: string };

/** Said under an answer about how it was made: the model saw only part of the conversation. */
export interface AnswerNote {
  kind: 'truncated';
  /** Tokens the model saw, at most. */
  seen: number;
  /** Tokens the request had. */
  sent: number;
  actions: ErrorAction[];
}

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
  /** The tool asks before every call whatever the approval setting (a terminal command): no "Always allow". */
  alwaysAsks?: boolean;
  progress?: { progress: number; total?: number; message?: string };
  result?: {
    text: string;
    isError: boolean;
    images?: Array<{ mimeType: string; data: string }>;
    truncated?: ToolTruncation;
    /** MCP resources the result links to or embeds: opened or attached through `server`. */
    links?: ResourceLinkInfo[];
  };
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
  /** Said under an answer: the model saw only part of the conversation, with what to do about it. */
  note?: AnswerNote;
  /** Set on a summary of the messages before it (compaction): shown collapsed, with Undo. */
  summary?: { covers: number };
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
/** `resource`: an MCP server's resource (resources/read), its chip naming the server. */
export type ContextKind = 'selection' | 'activeFile' | 'file' | 'problems' | 'instructions' | 'resource';

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
  | { state: 'unreachable'; endpoint: string; url: string; kind: 'ollama' | 'openai' | 'embedded' }
  | { state: 'noModels'; endpoint: string; url: string; kind: 'ollama' | 'openai' | 'embedded' }
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

/** An MCP server's prompt, offered as a `/` command in the message box. */
export interface PromptInfo {
  server: string;
  name: string;
  title?: string;
  description?: string;
  arguments: Array<{ name: string; description?: string; required?: boolean }>;
}

/** A resource a tool result links to (`resource_link`, or an embedded `resource`): the card opens or attaches it. */
export interface ResourceLinkInfo {
  uri: string;
  name: string;
  mimeType?: string;
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
  provider?: 'ollama' | 'openai' | 'embedded';
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

/** A server or one tool in the chat's tools menu. `userOff`: turned off everywhere (only that choice turns it on). */
export interface ToolMenuEntry {
  name: string;
  on: boolean;
  userOff: boolean;
  /** What its definition costs in the prompt (estimated, like every token count the chat shows). */
  tokens: number;
}

/** The tools menu of a conversation: servers, their tools, and the prompt tokens of the enabled ones. */
export interface ToolsMenu {
  type: 'toolsMenu';
  conversationId: string;
  servers: Array<Omit<ToolMenuEntry, 'tokens'> & { tools: ToolMenuEntry[] }>;
  enabledTokens: number;
  allTokens: number;
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
  | { type: 'note'; id: string; note: AnswerNote }
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
  /** The tools menu's servers and tools, on opening it and after each change. */
  | ToolsMenu
  /** The servers' prompts for the `/` menu: the answer to `listPrompts`, and again whenever a server's list changes. */
  | { type: 'prompts'; prompts: PromptInfo[] }
  /** A prompt the user chose, filled in: its text replaces the `/` command in the message box. */
  | { type: 'promptFilled'; text: string }
  /**
   * Several messages posted in one go, handled in order. In the editor each post costs a hop through the
   * extension host's connection, and small ones in quick succession are held back for a round trip each:
   * the start of a turn (question, answer, busy, context) goes as one, so the first token is not behind it.
   */
  | { type: 'batch'; messages: HostToWebview[] }
  /** The proposed changes waiting for Accept or Reject (each post replaces the list). */
  | { type: 'editReviews'; reviews: EditReviewInfo[] }
  /** The answers whose accepted changes can be undone, with the files each touched (each post replaces the list). */
  | { type: 'turnChanges'; turns: Array<{ messageId: string; files: string[] }> };

export interface EditReviewInfo {
  id: string;
  /** The file, relative to the workspace. */
  file: string;
  label: string;
  /** Why the diff is not simply the proposal (the file changed since). */
  note?: string;
}

export type WebviewToHost =
  | { type: 'ready' }
  /** The user came to this page (it took the focus, or was clicked): commands then act on its chat. */
  | { type: 'focused' }
  | { type: 'send'; text: string; images?: ImageInput[] }
  /** The attach button: the host shows the open dialog for images. */
  | { type: 'attachImage' }
  | { type: 'stop' }
  | { type: 'newChat' }
  | { type: 'selectModel' }
  | { type: 'openLink'; href: string }
  | { type: 'errorAction'; messageId: string; index: number }
  /** A button of an answer's note (AnswerNote.actions). */
  | { type: 'noteAction'; messageId: string; index: number }
  /** Removes a summary made by compaction: the messages it covered go to the model again. */
  | { type: 'undoSummary'; id: string }
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
  | { type: 'elicitationAnswer'; id: string; action: ElicitationAction; content?: Record<string, ElicitationValue> }
  /** The tools menu opened: the host answers with `toolsMenu` (starting the servers if they are not yet). */
  | { type: 'toolsMenu' }
  /** Turns a server (no `tool`) or one tool on or off, for this conversation, the workspace or everywhere. */
  | { type: 'setTool'; server: string; tool?: string; on: boolean; scope: 'conversation' | 'workspace' | 'user' }
  /** A code block's Apply: its text, the fence's info string, the line before it, and the answer it is in. */
  | { type: 'applyCode'; text: string; info?: string; before?: string; messageId?: string }
  /** Accept, Reject or show one proposed change (`id`), or accept or reject them all. */
  | { type: 'editReview'; action: 'accept' | 'reject' | 'show' | 'acceptAll' | 'rejectAll'; id?: string }
  /** "Undo changes of this answer". */
  | { type: 'undoTurn'; messageId: string }
  /** `/` typed in the message box: the host answers with `prompts`. */
  | { type: 'listPrompts' }
  /** A `/` command chosen (its arguments filled in): the host gets the prompt and answers with `promptFilled`. */
  | { type: 'usePrompt'; server: string; name: string; arguments: Record<string, string> }
  /** A tool card's resource link: opened read-only in an editor, or attached as a context chip. */
  | { type: 'openResource'; server: string; uri: string }
  | { type: 'attachResource'; server: string; uri: string; name: string };
