/**
 * Delivers each message from the chat view to the controllers that registered its type, so each
 * controller owns its messages and no switch has to know them all. No vscode here: it is tested alone.
 */
import { parseWebviewMessage, type WebviewToHost } from '../../shared/protocol';
import { DisposableStore, toDisposable, type IDisposable } from '../../shared/disposable';
import { messageOf } from '../../shared/errors';
import type { Logger } from '../../shared/log';

export type MessageType = WebviewToHost['type'];
export type MessageOf<K extends MessageType> = Extract<WebviewToHost, { type: K }>;
export type MessageHandler<K extends MessageType> = (message: MessageOf<K>) => void;
export type MessageHandlers = { [K in MessageType]?: MessageHandler<K> };

export class MessageRouter {
  private readonly handlers = new Map<MessageType, Array<(message: WebviewToHost) => void>>();

  constructor(private readonly log: Logger) {}

  /**
   * A type may have several handlers (`ready` concerns the chat, the empty state and the context bar);
   * they run in the order they were registered.
   */
  on<K extends MessageType>(type: K, handler: MessageHandler<K>): IDisposable {
    const untyped = handler as (message: WebviewToHost) => void;
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), untyped]);
    return toDisposable(() => {
      const rest = this.handlers.get(type)?.filter((h) => h !== untyped) ?? [];
      if (rest.length) this.handlers.set(type, rest);
      else this.handlers.delete(type);
    });
  }

  /** `on` for each entry; disposing the result removes them all. */
  register(handlers: MessageHandlers): IDisposable {
    const store = new DisposableStore();
    for (const type of Object.keys(handlers) as MessageType[]) store.add(this.on(type, handlers[type] as MessageHandler<typeof type>));
    return store;
  }

  dispatch(message: WebviewToHost): void {
    const handlers = this.handlers.get(message.type);
    if (!handlers) return this.log.warn(`No handler for the chat view's '${message.type}' message`);
    for (const handler of handlers) {
      // One controller's failure must not keep the others from their share of the message.
      try {
        handler(message);
      } catch (err) {
        this.log.error(`Handling the chat view's '${message.type}' message failed: ${messageOf(err)}`);
      }
    }
  }
}

/**
 * A message from a page (sidebar or editor tab) is untrusted: checked for shape and size here, at the
 * boundary, before any controller sees it.
 */
export function dispatchFromPage(raw: unknown, router: Pick<MessageRouter, 'dispatch'>, log: Logger): void {
  const parsed = parseWebviewMessage(raw);
  if (parsed.ok) router.dispatch(parsed.message);
  else log.warn(`Ignored a message from the chat view: ${parsed.reason}`);
}
