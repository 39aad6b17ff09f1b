/**
 * Runs one tool call the model asked for. Never throws: every way a call can go wrong (unknown tool,
 * unparsable arguments, a server that cannot start or dies mid-call, a timeout, a Stop) becomes a result
 * whose text tells the model, and the user, what happened. Calls are independent, so several can run at once.
 */
import type { CallToolResult, Client } from '@modelcontextprotocol/client';
import { isProtocolError, isSdkError } from './mcpSdk';
import { isMessageTooLarge } from './mcpHttpFetch';
import { isSignInFailure } from './mcpServerConnection';
import { formatBytes } from '../../shared/bytes';
import type { ResourceLinkInfo, ToolTruncation } from '../../shared/protocol';
import type { ToolCall } from '../../streaming/providers/events';
import { parseArguments } from '../../streaming/providers/toolArguments';
import { ChildAbort, race } from '../../shared/abort';
import { toDisposable, type IDisposable } from '../../shared/disposable';
import { Emitter } from '../../shared/event';
import { TIMEOUTS } from '../../shared/timeouts';
import type { ToolOutcome } from '../toolSupport';
import type { McpTool } from './toolNames';

/** What runTool needs from McpConnections (an interface, so tests can stand in for it). */
export interface ToolHost {
  readonly tools: readonly McpTool[];
  findTool(name: string): McpTool | undefined;
  client(server: string): Promise<Client>;
  describe(server: string): string | undefined;
  /** `error`, when given, lets the server tell a sign-in problem from a lost connection. */
  markBroken(server: string, reason: string, error?: unknown): void;
}

export interface ToolRunOptions {
  /** Stop: cancels the call on the server (the SDK sends notifications/cancelled). */
  signal?: AbortSignal;
  /**
   * Fails the call after this long without a result or a progress notification, not counting the time a form of
   * `activity` is open. Default: TIMEOUTS.toolCallMs.
   */
  timeoutMs?: number;
  /** Tells the call when the server is waiting on the user (a form is open), so its idle timeout waits too. */
  activity?: CallActivity;
  onProgress?: (progress: number, total?: number, message?: string) => void;
  /**
   * The longest a call may run, progress or not: a server that reports progress forever would otherwise
   * hold the turn forever. Default: TIMEOUTS.toolLifetimeMs, or timeoutMs when that is longer.
   */
  maxLifetimeMs?: number;
  /** Text beyond this many UTF-8 bytes is cut, with a note, before it reaches the model, the card or the history. Default 64 KB. */
  maxResultBytes?: number;
  /** Where the full text of a cut result is kept for the user to open. */
  resultFiles?: { save(text: string): Promise<string> };
}

export interface ToolImage {
  mimeType: string;
  /** Base64, as MCP sends it. */
  data: string;
}

export interface ToolResult {
  /** The tool ran and did not report an error. */
  ok: boolean;
  /** Whether the model should read `content` as an error; always !ok. */
  isError: boolean;
  /** Finer than ok, for the UI: a tool's own error, a failure around it, a timeout, a Stop. */
  outcome: ToolOutcome;
  /** Text for the model: the tool's text output, or what went wrong. */
  content: string;
  images?: ToolImage[];
  /** Resources the result links to or embeds (the card opens or attaches them through the server that ran it). */
  links?: ResourceLinkInfo[];
  durationMs: number;
  /** The server that ran it, when the tool was found. */
  server?: string;
  /** Set when the output was too large and `content`/`images` hold only part of it. */
  truncated?: ToolTruncation;
}

/**
 * Whether a running call is waiting on the user: while a server's form for it is open the server is not stuck,
 * the user is typing, so the call's idle timeout does not run; it starts again, whole, when the last form closes.
 */
export class CallActivity {
  private openForms = 0;
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;

  get awaitingUser(): boolean {
    return this.openForms > 0;
  }

  /** A form of this call is open until the result is disposed. */
  formOpened(): IDisposable {
    let open = true;
    if (++this.openForms === 1) this.changed.fire();
    return toDisposable(() => {
      if (!open) return;
      open = false;
      if (--this.openForms === 0) this.changed.fire();
    });
  }
}

const DEFAULT_MAX_RESULT_BYTES = 64 * 1024;
/** Images go to the model and the card inline, as base64. */
const MAX_IMAGES = 4;
const MAX_IMAGE_BASE64_BYTES = 4 * 1024 * 1024;

export async function runTool(host: ToolHost, call: ToolCall, options: ToolRunOptions = {}): Promise<ToolResult> {
  const started = performance.now();
  const result = (outcome: ToolOutcome, content: string, extra: Partial<ToolResult> = {}): ToolResult => ({
    ok: outcome === 'done',
    isError: outcome !== 'done',
    outcome,
    content,
    durationMs: Math.round(performance.now() - started),
    ...extra,
  });
  const cancelled = () => result('cancelled', `The tool call "${call.name}" was cancelled by the user.`);

  const tool = host.findTool(call.name);
  if (!tool) {
    const known = host.tools.map((t) => t.name);
    const list = known.length
      ? ` Available tools: ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', …' : ''}.`
      : ' No tools are available.';
    return result('failed', `There is no tool named "${call.name}".${list}`);
  }
  const server = tool.server;
  const parsed = parseArguments(call.arguments);
  if ('error' in parsed) return result('failed', `The arguments for "${call.name}" are not a JSON object: ${parsed.error}`, { server });
  const args = parsed.value;
  if (options.signal?.aborted) return cancelled();

  const timeoutMs = options.timeoutMs ?? TIMEOUTS.toolCallMs;
  const maxLifetimeMs = options.maxLifetimeMs ?? Math.max(TIMEOUTS.toolLifetimeMs, timeoutMs);
  // A per-call signal: the SDK adds an abort listener it never removes, and aborting a signal shared by
  // finished calls would send notifications/cancelled for requests that are long done. Its lifetime cap
  // aborts (rather than the SDK's maxTotalTimeout, checked only when progress arrives) so that the server
  // is sent notifications/cancelled and stops working too.
  const lifetimeExceeded = new Error('maximum lifetime exceeded');
  const callAbort = new ChildAbort(options.signal, maxLifetimeMs, () => lifetimeExceeded);
  const overLifetime = () => callAbort.signal.reason === lifetimeExceeded;
  const tooLong = () =>
    result(
      'timeout',
      `The tool "${call.name}" ran for longer than ${maxLifetimeMs >= 120_000 ? `${Math.round(maxLifetimeMs / 60_000)} min` : formatSeconds(maxLifetimeMs)}, the most one call may take, and was stopped.`,
      { server },
    );
  try {
    let client: Client;
    try {
      client = await race(host.client(server), callAbort.signal);
    } catch (e) {
      if (overLifetime()) return tooLong();
      return callAbort.signal.aborted ? cancelled() : result('failed', (e as Error).message, { server });
    }
    // The SDK's own timer cannot wait for the user, so it only backs the lifetime cap and the idle timeout is ours.
    const idleExceeded = new Error('no result or progress');
    const idle = idleTimer(timeoutMs, options.activity, () => callAbort.abort(idleExceeded));
    try {
      const output = (await client.callTool(
        { name: tool.originalName, arguments: args },
        {
          signal: callAbort.signal,
          timeout: maxLifetimeMs,
          onprogress: (p) => {
            idle.restart();
            options.onProgress?.(p.progress, p.total, p.message);
          },
        },
      )) as CallToolResult;
      const content = contentOf(output);
      const { text, images, truncated } = await bounded(content, options);
      const links = content.links;
      const extra = { server, ...(images ? { images } : {}), ...(links.length ? { links } : {}), ...(truncated ? { truncated } : {}) };
      if (output.isError) return result('toolError', text || `The tool "${call.name}" reported an error without details.`, extra);
      return result('done', text, extra);
    } catch (e) {
      if (overLifetime()) return tooLong();
      // The SDK rejects every abort alike (an SdkError RequestTimeout): only the signal's reason tells ours apart.
      if (callAbort.signal.reason === idleExceeded) {
        return result('timeout', `The tool "${call.name}" gave no result or progress for ${formatSeconds(timeoutMs)} and was stopped.`, {
          server,
        });
      }
      if (callAbort.signal.aborted) return cancelled();
      if (isSdkError(e, 'ConnectionClosed')) {
        const why = host.describe(server);
        return result('failed', `The MCP server "${server}" exited during the call to "${call.name}"${why ? `: ${why}` : ''}.`, { server });
      }
      if (isSignInFailure(e)) {
        // Credentials that worked at the start no longer do (expired, revoked, a scope missing): the server
        // shows as needing sign-in until the user signs in again.
        host.markBroken(server, 'sign-in needed', e);
        const why = host.describe(server) ?? 'it needs you to sign in.';
        return result('failed', `The MCP server "${server}" refused the call to "${call.name}": ${why}`, { server });
      }
      // One answer over the size cap was cut off; the connection itself is fine.
      if (isMessageTooLarge(e)) return result('failed', `The call to "${call.name}" failed: ${(e as Error).message}.`, { server });
      // The server's error answer, or an answer the SDK refused (a result that breaks the tool's output schema, a
      // form asked for again and again): the connection itself is fine.
      if (
        isProtocolError(e) ||
        isSdkError(e, 'InvalidResult') ||
        isSdkError(e, 'UnsupportedResultType') ||
        isSdkError(e, 'InputRequiredRoundsExceeded')
      ) {
        return result('failed', `The tool "${call.name}" failed: ${(e as Error).message}`, { server });
      }
      // Below MCP (network down, HTTP session gone): reconnect on the next call instead of failing forever.
      host.markBroken(server, (e as Error).message);
      return result('failed', `The call to "${call.name}" on MCP server "${server}" failed: ${(e as Error).message}`, { server });
    } finally {
      idle.dispose();
    }
  } finally {
    callAbort.dispose();
  }
}

/** Calls `onIdle` after `ms` without a restart(), the clock stopped while `activity` awaits the user. */
function idleTimer(ms: number, activity: CallActivity | undefined, onIdle: () => void): IDisposable & { restart(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const restart = () => {
    clearTimeout(timer);
    timer = activity?.awaitingUser ? undefined : setTimeout(onIdle, ms);
  };
  const listening = activity?.onDidChange(restart);
  restart();
  return {
    restart,
    dispose: () => {
      clearTimeout(timer);
      listening?.dispose();
    },
  };
}

/**
 * Cuts a result to what the model, the card and the saved conversation can carry: text to maxResultBytes
 * (at a line break when one is near), images by count and size, with a note saying what was left out. The
 * whole text goes to `resultFiles`, when there is one, for the user to open.
 */
async function bounded(
  content: { text: string; images?: ToolImage[] },
  options: ToolRunOptions,
): Promise<{ text: string; images?: ToolImage[]; truncated?: ToolTruncation }> {
  const maxBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const originalBytes = Buffer.byteLength(content.text, 'utf8');
  const images: ToolImage[] = [];
  let imageBytes = 0;
  for (const image of content.images ?? []) {
    if (images.length >= MAX_IMAGES || imageBytes + image.data.length > MAX_IMAGE_BASE64_BYTES) continue;
    images.push(image);
    imageBytes += image.data.length;
  }
  const imagesLeftOut = (content.images?.length ?? 0) - images.length;
  if (originalBytes <= maxBytes && imagesLeftOut === 0) return content;

  let text = content.text;
  const notes: string[] = [];
  const truncated: ToolTruncation = { originalBytes, keptBytes: originalBytes };
  if (originalBytes > maxBytes) {
    text = utf8Prefix(content.text, maxBytes);
    truncated.keptBytes = Buffer.byteLength(text, 'utf8');
    truncated.fileId = await options.resultFiles?.save(content.text).catch(() => undefined);
    notes.push(
      `[Result truncated: the tool returned ${formatBytes(originalBytes)} of text; only the first ${formatBytes(truncated.keptBytes)} are shown.]`,
    );
  }
  if (imagesLeftOut > 0) {
    truncated.imagesLeftOut = imagesLeftOut;
    notes.push(
      `[${imagesLeftOut} image${imagesLeftOut === 1 ? '' : 's'} left out: at most ${MAX_IMAGES} images and ${formatBytes(MAX_IMAGE_BASE64_BYTES)} per result.]`,
    );
  }
  return { text: `${text}\n\n${notes.join('\n')}`, images: images.length ? images : undefined, truncated };
}

/** The longest prefix of `text` within `maxBytes` of UTF-8, ending at a line break when one is in its last quarter. */
function utf8Prefix(text: string, maxBytes: number): string {
  // TextDecoder in stream mode holds back a character cut in half instead of emitting U+FFFD.
  const head = new TextDecoder('utf-8').decode(Buffer.from(text.slice(0, maxBytes), 'utf8').subarray(0, maxBytes), { stream: true });
  const lineEnd = head.lastIndexOf('\n');
  return lineEnd > head.length * 0.75 ? head.slice(0, lineEnd) : head;
}

/** A result linking more resources than this is a listing: the text has them all, the card the first ones. */
const MAX_LINKS = 20;

function contentOf(output: CallToolResult): { text: string; images?: ToolImage[]; links: ResourceLinkInfo[] } {
  const texts: string[] = [];
  const images: ToolImage[] = [];
  const links: ResourceLinkInfo[] = [];
  const link = (uri: string, name: string, mimeType?: string) =>
    links.length < MAX_LINKS && links.push({ uri: uri.slice(0, 8192), name: name.slice(0, 500), ...(mimeType ? { mimeType } : {}) });
  for (const block of output.content ?? []) {
    if (block.type === 'text') texts.push(block.text);
    else if (block.type === 'image') images.push({ mimeType: block.mimeType, data: block.data });
    else if (block.type === 'audio') texts.push(`[audio (${block.mimeType}) not shown]`);
    else if (block.type === 'resource') {
      texts.push('text' in block.resource ? block.resource.text : `[binary resource ${block.resource.uri}]`);
      link(block.resource.uri, block.resource.uri.replace(/\/+$/, '').split('/').pop() || block.resource.uri, block.resource.mimeType);
    } else if (block.type === 'resource_link') {
      texts.push(`[resource ${block.name}: ${block.uri}]`);
      link(block.uri, block.title ?? block.name, block.mimeType);
    }
  }
  // Tools that answer only with structuredContent still have something to say.
  if (texts.length === 0 && output.structuredContent !== undefined) texts.push(JSON.stringify(output.structuredContent));
  return { text: texts.join('\n'), images: images.length ? images : undefined, links };
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
