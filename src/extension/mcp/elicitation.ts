/**
 * MCP elicitation in the chat: a server's request for input, shown as a form next to the tool card whose call it
 * came during, answered in the protocol's shape. No vscode here (opening a URL is handed in): it is tested alone.
 */
import { randomUUID } from 'node:crypto';
import type { ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import type { ElicitationField, ElicitationRequest, ElicitationValue, HostToWebview } from '../../shared/protocol';
import type { ChatSessions } from '../../streaming/chat/chatSessions';
import type { RunningToolCall } from '../../tools/mcp/mcpToolSupport';
import { ChildAbort, race } from '../../shared/abort';
import { DisposableStore, toDisposable, type IDisposable } from '../../shared/disposable';
import type { Logger } from '../../shared/log';
import { TIMEOUTS } from '../../shared/timeouts';
import type { MessageOf, MessageRouter } from '../view/messageRouter';

export interface ElicitationDeps {
  /** The server's tool calls running now, in every conversation. */
  runningCalls(server: string): readonly RunningToolCall[];
  /** Opens a URL-mode request's page in the browser; false when that did not happen. */
  openExternal(url: string): Promise<boolean>;
  log: Logger;
  /** Unanswered this long, a request is cancelled. Default TIMEOUTS.elicitationMs. */
  timeoutMs?: number;
}

/** One chat where forms show (the sidebar or an editor tab): its page, and the conversations to find a card in. */
export interface ElicitationView {
  post(message: HostToWebview): void;
  sessions: Pick<ChatSessions, 'active' | 'backgroundIds' | 'find'>;
  router: Pick<MessageRouter, 'on'>;
  /** Whether the user was in this chat last: a request no card can be found for shows there. */
  focused?(): boolean;
}

interface Pending {
  request: ElicitationRequest;
  /** The chat it shows in: only that page may answer it, and closing that chat cancels it. */
  view: ElicitationView;
  resolve(result: ElicitResult): void;
}

export class Elicitations {
  private readonly pending = new Map<string, Pending>();
  /** In the order attached (the sidebar first). */
  private readonly views = new Set<ElicitationView>();

  constructor(private readonly deps: ElicitationDeps) {}

  /**
   * Connects a chat; a request shows in the one whose conversation holds the tool call's card. Disposing it (its tab
   * closed) cancels the requests it shows: nobody could answer them. With no chat connected, requests are cancelled.
   */
  attach(view: ElicitationView): IDisposable {
    this.views.add(view);
    const store = new DisposableStore();
    store.add(view.router.on('elicitationAnswer', (m) => void this.answer(m, view)));
    // A reloaded page has lost its forms (`ready` comes after the chat's snapshot, so they land in it).
    store.add(
      view.router.on('ready', () => this.pending.forEach((p) => p.view === view && view.post({ type: 'elicitation', request: p.request }))),
    );
    store.add(
      toDisposable(() => {
        this.views.delete(view);
        for (const p of this.pending.values()) if (p.view === view) p.resolve({ action: 'cancel' });
      }),
    );
    return store;
  }

  /**
   * Shows the request and waits for the user. Cancelled (never declined: the user did not say no) by the server
   * withdrawing it (`signal`), by the end of the tool calls it may belong to (their Stop, Cancel or lifetime cap), or
   * by our own timeout. While it is open, those calls' idle timeout does not run.
   */
  readonly elicit = async (server: string, params: ElicitRequest['params'], signal: AbortSignal): Promise<ElicitResult> => {
    if (!this.views.size) return { action: 'cancel' };
    if (params.mode === 'url' && !isWebUrl(params.url)) {
      this.deps.log.warn(`MCP server "${server}" asked to open ${JSON.stringify(params.url.slice(0, 200))}: not a web page, declined`);
      return { action: 'decline' };
    }
    const calls = this.deps.runningCalls(server);
    // With several calls of this server running the request could belong to any of them: it shows on its own.
    const { view, cardId, conversationId } = this.placeOf(calls.map((c) => c.cardId));
    const request: ElicitationRequest = {
      id: randomUUID(),
      server,
      cardId,
      conversationId,
      message: params.message,
      ...(params.mode === 'url'
        ? { url: params.url }
        : { requestedSchema: params.requestedSchema as NonNullable<ElicitationRequest['requestedSchema']> }),
    };
    const timeoutMs = this.deps.timeoutMs ?? TIMEOUTS.elicitationMs;
    const abort = new ChildAbort(signal, timeoutMs);
    const stop = new DisposableStore();
    if (calls.length) {
      let left = calls.length;
      for (const call of calls) {
        // Each call that may have asked waits for the user rather than timing out; its lifetime cap still holds.
        stop.add(call.activity.formOpened());
        const onEnd = () => --left === 0 && abort.abort();
        if (call.ended.aborted) onEnd();
        else call.ended.addEventListener('abort', onEnd, { once: true });
        stop.add(toDisposable(() => call.ended.removeEventListener('abort', onEnd)));
      }
    }
    const answered = new Promise<ElicitResult>((resolve) => this.pending.set(request.id, { request, view, resolve }));
    view.post({ type: 'elicitation', request });
    let result: ElicitResult;
    try {
      result = await race(answered, abort.signal);
    } catch {
      const why = signal.aborted
        ? 'the server withdrew it'
        : abort.signal.reason instanceof Error
          ? abort.signal.reason.message
          : 'its tool call ended';
      this.deps.log.info(`MCP server "${server}": its request for input was cancelled (${why})`);
      result = { action: 'cancel' };
    } finally {
      abort.dispose();
      stop.dispose();
      this.pending.delete(request.id);
    }
    if (this.views.has(view)) view.post({ type: 'elicitationDone', id: request.id, action: result.action });
    return result;
  };

  /** The page's answer. Only for a request still open in that page's chat, with values that fit its schema. */
  private async answer(message: MessageOf<'elicitationAnswer'>, from: ElicitationView): Promise<void> {
    const pending = this.pending.get(message.id);
    if (!pending || pending.view !== from)
      return this.deps.log.warn('An answer came for a request for input that is no longer open, or open in another chat; ignored');
    if (message.action !== 'accept') return pending.resolve({ action: message.action });
    const { request } = pending;
    if (request.url !== undefined) {
      // The user agreed: only now does the page open, and through the editor (which may ask once more).
      const opened = await this.deps.openExternal(request.url).catch(() => false);
      return pending.resolve({ action: opened ? 'accept' : 'cancel' });
    }
    const checked = checkAnswer(request.requestedSchema, message.content ?? {});
    if (typeof checked === 'string')
      return this.deps.log.warn(`The form for MCP server "${request.server}" came back unfit (${checked}); ignored`);
    pending.resolve({ action: 'accept', content: checked });
  }

  /**
   * Where a request shows. The protocol does not say which call a request came during, so: the chat and conversation
   * of the server's one running call; with several, the chat holding them if it is one (else the one among them the
   * user was in last); with none found, the chat the user was in last (else the first connected, the sidebar).
   */
  private placeOf(cardIds: ReadonlyArray<string | undefined>): { view: ElicitationView; cardId?: string; conversationId: string } {
    const found = cardIds.flatMap((cardId) => {
      const place = cardId === undefined ? undefined : this.find(cardId);
      return place ? [{ ...place, cardId }] : [];
    });
    if (found.length === 1 && cardIds.length === 1) return found[0];
    const views = [...new Set(found.map((f) => f.view))];
    const candidates = views.length ? views : [...this.views];
    const view = candidates.length === 1 ? candidates[0] : (candidates.find((v) => v.focused?.()) ?? candidates[0]);
    const conversations = new Set(found.filter((f) => f.view === view).map((f) => f.conversationId));
    return { view, conversationId: conversations.size === 1 ? [...conversations][0] : view.sessions.active.id };
  }

  /** The chat and conversation whose messages hold the card. */
  private find(cardId: string): { view: ElicitationView; conversationId: string } | undefined {
    for (const view of this.views) {
      const { sessions } = view;
      for (const session of [sessions.active, ...sessions.backgroundIds().map((id) => sessions.find(id))])
        if (session?.snapshot().messages.some((m) => m.id === cardId)) return { view, conversationId: session.id };
    }
    return undefined;
  }
}

function isWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * The page's values, held against the schema (the page is untrusted): known fields only, each of its type, within
 * its bounds and choices, the required ones present. Returns the content, or what is wrong with it.
 */
export function checkAnswer(
  schema: ElicitationRequest['requestedSchema'],
  content: Record<string, ElicitationValue>,
): Record<string, ElicitationValue> | string {
  const properties = schema?.properties ?? {};
  for (const name of schema?.required ?? []) if (!(name in content)) return `"${name}" is required`;
  for (const [name, value] of Object.entries(content)) {
    const field = properties[name];
    if (!field) return `no field "${name}"`;
    const wrong = checkValue(field, value);
    if (wrong) return `"${name}" ${wrong}`;
  }
  return content;
}

function checkValue(field: ElicitationField, value: ElicitationValue): string | undefined {
  const choices = (options?: Array<{ const: string }>, plain?: string[]) => options?.map((o) => o.const) ?? plain;
  switch (field.type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'is not true or false';
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || (field.type === 'integer' && !Number.isInteger(value)))
        return `is not ${field.type === 'integer' ? 'an integer' : 'a number'}`;
      if ((field.minimum !== undefined && value < field.minimum) || (field.maximum !== undefined && value > field.maximum))
        return 'is out of bounds';
      return undefined;
    case 'array': {
      const allowed = choices(field.items?.anyOf, field.items?.enum);
      if (!Array.isArray(value) || value.some((v) => allowed && !allowed.includes(v))) return 'holds an unknown choice';
      if (
        (field.minItems !== undefined && value.length < field.minItems) ||
        (field.maxItems !== undefined && value.length > field.maxItems)
      )
        return 'has too few or too many choices';
      return undefined;
    }
    default: {
      if (typeof value !== 'string') return 'is not text';
      const allowed = choices(field.oneOf, field.enum);
      if (allowed && !allowed.includes(value)) return 'is not one of the choices';
      if (
        (field.minLength !== undefined && value.length < field.minLength) ||
        (field.maxLength !== undefined && value.length > field.maxLength)
      )
        return 'has the wrong length';
      return undefined;
    }
  }
}
