import type { HostToWebview } from '../../shared/protocol';

/**
 * Posts to the view, putting everything posted in one turn of the event loop into one message. Each post
 * crosses the extension host's connection to the workbench on its own, and a burst of small ones (the
 * question, the answer, busy, the context meter: the start of a turn) is held back for a round trip or
 * more; the first token, posted right after, waited behind them. A lone message goes as it is, at the end of
 * the event-loop turn; a streamed delta posted when nothing is waiting goes at once.
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
    // A streamed delta (the compact string form) with nothing waiting goes at once: there is no burst for it to
    // join, and holding it to the end of the event-loop turn only delays the text (the first token most of all).
    if (!scheduled && typeof message === 'string') return post(message);
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
