/**
 * A conversation as a Markdown transcript for people (Export conversation…, Copy conversation). Each
 * answer's markdown is kept exactly as the model wrote it; everything around it (the questions' context,
 * thinking, tool calls, sources, metrics, how an answer ended) is plain Markdown, with no raw HTML, so the
 * transcript reads the same in any viewer. The JSON export (`exportJson.ts`) is the one that keeps everything.
 */
import { titleOf, type Conversation, type StoredMessage } from './conversationFormat';
import type { StoredAttachment, StoredSummary } from './storedMessage';
import { formatBytes } from './storageBound';
import { INTERRUPTED, truncationText, withSources } from '../shared/answerText';
import { closingFence, fenceFor } from '../shared/markdownFences';
import { metricsText } from '../shared/metricsText';
import type { ContextKind, ToolCallInfo, ToolState } from '../shared/protocol';

const KIND_NAMES: Record<ContextKind, string> = {
  selection: 'Selection',
  activeFile: 'Active file',
  file: 'File',
  problems: 'Problems',
  instructions: 'Instructions',
  resource: 'MCP resource',
};

const TOOL_STATES: Record<ToolState, string> = {
  pending: 'waiting for approval',
  running: 'running',
  done: 'done',
  error: 'failed',
  cancelled: 'cancelled',
};

/** The whole transcript, ending in a newline. */
export function conversationMarkdown(c: Conversation): string {
  const about = [`- Date: ${dateText(c.createdAt)}`];
  if (c.model) about.push(`- Model: ${inline(c.model.model ? `${c.model.model} (${c.model.endpoint})` : c.model.endpoint)}`);
  const blocks = [`# ${inline(titleOf(c))}`, about.join('\n')];
  for (const m of c.messages) blocks.push(...messageBlocks(m));
  return `${blocks.join('\n\n')}\n`;
}

/** A file name for the conversation: its title without what file systems or shells trip over. */
export function exportFileName(c: Pick<Conversation, 'title' | 'messages'>, extension: 'md' | 'json'): string {
  const base = titleOf(c)
    .replace(/[\\/:*?"<>|\p{Cc}#%{}^~`[\]]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
  const chars = Array.from(base);
  const short = (chars.length > 60 ? chars.slice(0, 60).join('') : base).trim() || 'conversation';
  return `${short}.${extension}`;
}

function messageBlocks(m: StoredMessage): string[] {
  if (m.role === 'user') return questionBlocks(m);
  if (m.role === 'tool' && m.tool) return toolBlocks(m.tool);
  return answerBlocks(m);
}

function questionBlocks(m: StoredMessage): string[] {
  const blocks = ['## Question', closeFence(m.text.trim()) || '*(empty)*'];
  if (m.context?.length) blocks.push(`Context:\n\n${m.context.map(contextLine).join('\n')}`);
  return blocks;
}

function contextLine(a: StoredAttachment): string {
  const about = [`${a.tokens.toLocaleString('en-US')} tokens`, ...(a.note ? [a.note] : [])].join(', ');
  return `- ${KIND_NAMES[a.kind]}: ${inline(a.detail || a.label)} (${inline(about)})`;
}

function answerBlocks(m: StoredMessage): string[] {
  const ending = endingNote(m);
  const text = withSources(m.text, m.sources).trim();
  // A round that only called tools leaves an empty answer the chat does not show either.
  if (!text && !m.thinking && !ending) return [];
  const blocks = [m.summary ? summaryHeading(m.summary) : '## Answer'];
  if (m.thinking?.trim()) blocks.push(quote(`**Thinking**\n\n${closeFence(m.thinking.trim())}`));
  if (text) blocks.push(closeFence(text));
  const metrics = m.metrics && metricsText(m.metrics);
  if (metrics) blocks.push(`*${metrics}*`);
  if (m.note) blocks.push(`*${truncationText(m.note)}*`);
  if (ending) blocks.push(ending);
  return blocks;
}

function summaryHeading(s: StoredSummary): string {
  const what = `${s.covers} message${s.covers === 1 ? '' : 's'} before it`;
  return `## Summary of earlier messages (${s.undone ? `undone: the model got the ${what} again` : `the model got this instead of the ${what}`})`;
}

/** How an answer that is not simply finished ended, in words; undefined when it is. */
function endingNote(m: StoredMessage): string | undefined {
  switch (m.state) {
    case 'stopped':
      return '*Stopped: the answer was stopped before it was finished.*';
    case 'error':
      return `**Error:** ${inline(m.error?.message ?? 'the answer failed.')}`;
    case 'interrupted':
      return `*${INTERRUPTED}*`;
    case 'streaming':
      return '*Still being written when this was exported.*';
    default:
      return m.cut ? '*The answer stops here: it reached the model’s token limit.*' : undefined;
  }
}

function toolBlocks(t: ToolCallInfo): string[] {
  const about = [TOOL_STATES[t.state], ...(t.durationMs !== undefined ? [durationText(t.durationMs)] : [])].join(', ');
  const blocks = [`### Tool call: ${code(t.name)}${t.server ? ` on ${inline(t.server)}` : ''} (${about})`];
  blocks.push('Arguments:', fenced(t.arguments, isJson(t.arguments) ? 'json' : ''));
  const r = t.result;
  if (!r) return blocks;
  blocks.push(r.isError ? 'Result (an error):' : 'Result:', fenced(r.text, ''));
  const notes: string[] = [];
  if (r.truncated) {
    const { keptBytes, originalBytes, imagesLeftOut } = r.truncated;
    notes.push(`The result was cut: ${formatBytes(keptBytes)} of ${formatBytes(originalBytes)} kept.`);
    if (imagesLeftOut) notes.push(`${imagesLeftOut} image${imagesLeftOut === 1 ? '' : 's'} left out.`);
  }
  if (r.images?.length)
    notes.push(`${r.images.length} image${r.images.length === 1 ? '' : 's'} not included here (the JSON export has them).`);
  if (notes.length) blocks.push(`*${notes.join(' ')}*`);
  return blocks;
}

/** Text the transcript adds around the model's own: no Markdown or HTML in it takes effect, and no line breaks. */
function inline(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[\\`*_[\]<>#|~!]/g, (ch) => `\\${ch}`);
}

/** A code span that holds any text (backticks included). */
function code(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  const ticks = '`'.repeat(Math.max(0, ...Array.from(flat.matchAll(/`+/g), (m) => m[0].length)) + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

function fenced(text: string, info: string): string {
  const fence = fenceFor(text);
  return `${fence}${info}\n${text.replace(/\n$/, '')}\n${fence}`;
}

/** A cut-off answer can end inside a code block, which would swallow the rest of the transcript. */
function closeFence(text: string): string {
  const close = closingFence(text);
  return close ? `${text}\n${close}` : text;
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** UTC, so the same conversation gives the same transcript wherever it is exported. */
function dateText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function durationText(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
