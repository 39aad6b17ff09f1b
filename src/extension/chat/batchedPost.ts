import type { HostToWebview } from '../../shared/protocol';

/**
 * Posts to the view, putting everything posted in one turn of the event loop into one message. Each post
 * crosses the extension host's connection to the workbench on its own, and a burst of small ones (the
 * question, the answer, busy, the context meter: the start of a turn) is held back for a round trip or
 * more; the first token, posted right after, waited behind them. A lone message (a streamed delta) goes as
 * it is: the wait is only until the end of the current event-loop turn, before the connection writes anyway.
 */
export function batchedPost(post: (message: HostToWebview) => void): (message: HostToWebview) => void {
  let queue: HostToWebview[] = [];
  let scheduled = false;
  const flush = () => {
    const messages = queue;
    queue = [];
    scheduled = false;
    if (messages.length === 1) post(messages[0]);
    else if (messages.length > 1) post({ type: 'batch', messages });
  };
  return (message) => {
    // The chips and the meter are whole each time: only the newest of a batch is worth sending.
    if (typeof message !== 'string' && message.type === 'context')
      queue = queue.filter((m) => typeof m === 'string' || m.type !== 'context');
    queue.push(message);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
