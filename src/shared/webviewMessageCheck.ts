/**
 * The host's check of every message from the webview (untrusted: a compromised or confused page must not make the
 * host act on a message of the wrong shape or size). Kept next to nothing else so the protocol's shapes stay readable.
 */

import { MAX_IMAGE_BASE64, MAX_IMAGES_PER_MESSAGE, MAX_MESSAGE_IMAGES_BASE64, MAX_THUMB_CHARS, sniffBase64 } from './images';
import type { ErrorAction, WebviewToHost } from './protocol';

/** Larger messages than this are refused: nobody types 1 MB into a chat box. */
export const MAX_WEBVIEW_TEXT = 1_000_000;

type Check = (v: Record<string, unknown>) => boolean;
const isStr = (v: unknown, max = MAX_WEBVIEW_TEXT): v is string => typeof v === 'string' && v.length <= max;

const checks: Record<WebviewToHost['type'], Check> = {
  ready: () => true,
  focused: () => true,
  send: (m) => isStr(m.text) && m.text.trim().length > 0 && (m.images === undefined || areImages(m.images)),
  attachImage: () => true,
  stop: () => true,
  newChat: () => true,
  selectModel: () => true,
  openLink: (m) => isStr(m.href, 8192),
  errorAction: (m) => isStr(m.messageId, 200) && Number.isInteger(m.index) && (m.index as number) >= 0,
  noteAction: (m) => isStr(m.messageId, 200) && Number.isInteger(m.index) && (m.index as number) >= 0,
  undoSummary: (m) => isStr(m.id, 200),
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
  applyCode: (m) =>
    isStr(m.text) &&
    (m.info === undefined || isStr(m.info, 1000)) &&
    (m.before === undefined || isStr(m.before, 1000)) &&
    (m.messageId === undefined || isStr(m.messageId, 200)),
  editReview: (m) =>
    (m.action === 'accept' || m.action === 'reject' || m.action === 'show' || m.action === 'acceptAll' || m.action === 'rejectAll') &&
    (m.id === undefined || isStr(m.id, 200)),
  undoTurn: (m) => isStr(m.messageId, 200),
  listPrompts: () => true,
  usePrompt: (m) => isStr(m.server, 200) && isStr(m.name, 500) && isStringRecord(m.arguments),
  openResource: (m) => isStr(m.server, 200) && isStr(m.uri, 8192),
  attachResource: (m) => isStr(m.server, 200) && isStr(m.uri, 8192) && isStr(m.name, 500),
  elicitationAnswer: (m) =>
    isStr(m.id, 200) &&
    (m.action === 'accept' || m.action === 'decline' || m.action === 'cancel') &&
    (m.content === undefined || (m.action === 'accept' && isElicitationContent(m.content))),
  toolsMenu: () => true,
  setTool: (m) =>
    isStr(m.server, 200) &&
    (m.tool === undefined || isStr(m.tool, 200)) &&
    typeof m.on === 'boolean' &&
    (m.scope === 'conversation' || m.scope === 'workspace' || m.scope === 'user'),
};

/** A prompt's arguments: a few named strings. */
function isStringRecord(c: unknown): boolean {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return false;
  const entries = Object.entries(c);
  return entries.length <= 100 && entries.every(([key, v]) => key.length <= 200 && isStr(v, 100_000));
}

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

const ACTION_KINDS: readonly ErrorAction['kind'][] = [
  'openSettings',
  'showLog',
  'pullModel',
  'selectModel',
  'retry',
  'setApiKey',
  'useBuiltIn',
  'addModel',
  'compact',
  'downloadModel',
  'pickModelFile',
];
function isAction(a: unknown): boolean {
  if (typeof a !== 'object' || a === null) return false;
  const v = a as Record<string, unknown>;
  if (!ACTION_KINDS.includes(v.kind as ErrorAction['kind']) || !isStr(v.label, 200)) return false;
  if (v.kind === 'openSettings') return isStr(v.setting, 200);
  if (v.kind === 'pullModel' || v.kind === 'downloadModel') return isStr(v.model, 200);
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
