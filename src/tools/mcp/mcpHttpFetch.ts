/**
 * The fetch under both HTTP transports. Over stdio the SDK refuses a message over 10 MB, but over HTTP it reads a
 * JSON response whole (`response.json()`) and buffers an SSE event until its blank line, so an endless body, or one
 * endless event, would grow the extension host without bound. Here a JSON (or any non-SSE) body is capped as a
 * whole and an SSE body per event: a long-lived stream of normal events is legitimate and passes.
 *
 * It also lets Stop reach the network on 2025-era connections, where the SDK cancels a call only by POSTing
 * `notifications/cancelled` and leaves the call's own response streaming: that notification closes it here.
 */
import type { FetchLike } from '@modelcontextprotocol/client';
import { formatBytes } from '../../shared/bytes';
import { findCause } from '../../shared/errors';

/** The most one MCP message may take over HTTP, in line with the SDK's 10 MB cap over stdio. */
export const MCP_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** A response body went over the cap; its message names the server and the cap. */
export class McpMessageTooLargeError extends Error {
  override readonly name = 'McpMessageTooLargeError';
}

/** Marks the JSON-RPC error this client answers a call with when its SSE event went over the cap. */
const CAPPED = 'model-chat/message-too-large';

/** Whether a failed request is one this fetch cut off (the error itself, or the JSON-RPC error standing for it). */
export function isMessageTooLarge(e: unknown): boolean {
  if (findCause(e, McpMessageTooLargeError)) return true;
  return (e as { data?: { reason?: unknown } } | undefined)?.data?.reason === CAPPED;
}

type RequestId = string | number;

export function cappedMcpFetch(base: FetchLike, server: string, maxBytes = MCP_MAX_MESSAGE_BYTES): FetchLike {
  /** The responses still open, by the JSON-RPC request they answer. */
  const open = new Map<RequestId, () => void>();
  return async (input, init) => {
    const { ids, cancels } = jsonRpcOf(init?.body);
    if (cancels !== undefined) open.get(cancels)?.();
    const own = new AbortController();
    const signal = init?.signal ? AbortSignal.any([init.signal, own.signal]) : own.signal;
    let response: Response;
    try {
      response = await base(input, { ...init, signal });
    } catch (e) {
      own.abort();
      throw e;
    }
    if (!response.body) return response;
    const sse = response.headers.get('content-type')?.split(';')[0].trim().toLowerCase() === 'text/event-stream';
    const cap = sse ? eventCap(server, maxBytes, ids.length === 1 ? ids[0] : undefined) : totalCap(server, maxBytes);
    const stop = () => cap.end();
    for (const id of ids) open.set(id, stop);
    // Ended, cut or stopped: the connection goes too (a no-op once the body was read to its end).
    cap.onDone = () => {
      for (const id of ids) if (open.get(id) === stop) open.delete(id);
      own.abort();
    };
    const bounded = new Response(response.body.pipeThrough(cap.stream), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    Object.defineProperty(bounded, 'url', { value: response.url });
    return bounded;
  };
}

interface Cap {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** Ends the body cleanly (the call was cancelled: nobody waits for the rest). */
  end(): void;
  /** The body ended, was cut at the cap, or was ended. */
  onDone?: () => void;
}

function capStream(count: (chunk: Uint8Array, ctl: TransformStreamDefaultController<Uint8Array>) => boolean): Cap {
  let controller: TransformStreamDefaultController<Uint8Array> | undefined;
  let ended = false;
  const cap: Cap = {
    stream: new TransformStream<Uint8Array, Uint8Array>({
      start: (c) => void (controller = c),
      transform: (chunk, c) => {
        if (ended) return;
        if (count(chunk, c)) c.enqueue(chunk);
        else finish();
      },
      flush: () => finish(),
    }),
    end: () => {
      if (ended) return;
      finish();
      controller?.terminate();
    },
  };
  const finish = () => {
    if (ended) return;
    ended = true;
    cap.onDone?.();
  };
  return cap;
}

/** A JSON (or any non-SSE) body: at most `maxBytes` in all. */
function totalCap(server: string, maxBytes: number): Cap {
  let total = 0;
  return capStream((chunk, c) => {
    total += chunk.byteLength;
    if (total <= maxBytes) return true;
    c.error(
      new McpMessageTooLargeError(
        `MCP server "${server}" sent a response over ${formatBytes(maxBytes)}, the most one message may take; it was cut off`,
      ),
    );
    return false;
  });
}

const LF = 0x0a;
const CR = 0x0d;
const encoder = new TextEncoder();

/**
 * An SSE body: at most `maxBytes` per event (bytes since the last blank line). Over it, the call `id` (the one
 * request this response answers) gets a JSON-RPC error saying why, so it fails at once rather than at its
 * timeout; a stream that answers no one request (the standalone GET stream) errors instead.
 */
function eventCap(server: string, maxBytes: number, id: RequestId | undefined): Cap {
  let eventBytes = 0;
  let lineBytes = 0;
  let afterCr = false;
  const message = `MCP server "${server}" sent one event over ${formatBytes(maxBytes)}, the most one message may take; it was cut off`;
  /** What was passed on so far ends a line (the cut's own line end would otherwise make a blank line). */
  let passedLineEnd = true;
  return capStream((chunk, c) => {
    if (scanEvents(chunk)) {
      if (chunk.length > 0) passedLineEnd = chunk[chunk.length - 1] === LF || chunk[chunk.length - 1] === CR;
      return true;
    }
    if (id === undefined) {
      c.error(new McpMessageTooLargeError(message));
      return false;
    }
    // Ends the partial event as one of a type the SDK skips (so its data is dropped), then answers the call.
    const error = { code: -32603, message, data: { reason: CAPPED, maxBytes } };
    const cut = `${passedLineEnd ? '' : '\n'}event: model-chat-cut\n\n`;
    c.enqueue(encoder.encode(`${cut}event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id, error })}\n\n`));
    c.terminate();
    return false;
  });

  /** Counts `chunk` into the current event; false once it is over the cap. */
  function scanEvents(chunk: Uint8Array): boolean {
    const n = chunk.length;
    let i = 0;
    if (afterCr && n > 0) {
      afterCr = false;
      if (chunk[0] === LF) i = 1;
    }
    // Next line ends, found once and reused until passed (a chunk holds many lines).
    let nextLf = -2;
    let nextCr = -2;
    while (i < n) {
      if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
      if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
      const end = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (end === -1) {
        lineBytes += n - i;
        eventBytes += n - i;
        break;
      }
      const length = end - i;
      if (length === 0 && lineBytes === 0) eventBytes = 0;
      else eventBytes += length + 1;
      lineBytes = 0;
      if (eventBytes > maxBytes) return false;
      i = end + 1;
      if (chunk[end] === CR) {
        if (i === n) afterCr = true;
        else if (chunk[i] === LF) i++;
      }
    }
    return eventBytes <= maxBytes;
  }
}

/** The request ids a POST body carries, and the request a `notifications/cancelled` in it cancels. */
function jsonRpcOf(body: unknown): { ids: RequestId[]; cancels?: RequestId } {
  if (typeof body !== 'string' || !/^\s*[[{]/.test(body)) return { ids: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ids: [] };
  }
  const ids: RequestId[] = [];
  let cancels: RequestId | undefined;
  for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
    const msg = m as { id?: unknown; method?: unknown; params?: { requestId?: unknown } } | null;
    if (!msg || typeof msg.method !== 'string') continue;
    if (isId(msg.id)) ids.push(msg.id);
    else if (msg.method === 'notifications/cancelled' && isId(msg.params?.requestId)) cancels = msg.params.requestId;
  }
  return { ids, cancels };
}

function isId(v: unknown): v is RequestId {
  return typeof v === 'string' || typeof v === 'number';
}
