import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { realWorldDocument } from '../fixtures/markdownCorpus';
import { WebviewHarness } from './harness';

/*
 * When streamed text reaches the DOM (src/webview/messages/framePacer.ts), in the real page: at once while the
 * page's frames are cheap; less often, and nothing lost, when they are slow (here: Chromium's CPU throttling,
 * standing in for a workbench with a core busy).
 */

/** Streams `pieces` into a new answer, one every 50 ms (the host's pace); counts the tasks that changed its DOM. */
async function stream(h: WebviewHarness, id: string, pieces: string[]) {
  return h.page.evaluate(
    async ({ id, pieces }) => {
      const send = (data: unknown) => window.dispatchEvent(new MessageEvent('message', { data }));
      send({ type: 'messageAdded', message: { id, role: 'assistant', text: '', state: 'streaming', seq: 0 } });
      const body = document.querySelector(`article[data-id="${id}"] .markdown`)!;
      let draws = 0;
      new MutationObserver(() => draws++).observe(body, { childList: true, subtree: true, characterData: true });
      let drawnAtOnce = 0;
      let next = performance.now();
      for (let i = 0; i < pieces.length; i++) {
        const before = body.textContent!.length;
        send({ type: 'delta', id, seq: i + 1, text: pieces[i] });
        if (body.textContent!.length > before) drawnAtOnce++;
        next += 50;
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
      }
      const drawsWhileStreaming = draws;
      send({ type: 'delta', id, seq: pieces.length + 1, text: '', end: { state: 'done' } });
      const endedWith = body.textContent;
      // A long answer keeps its blocks in `div.chunk` groups (incrementalView.ts): the blocks are compared.
      const blocks = body.cloneNode(true) as Element;
      blocks.querySelectorAll(':scope > .chunk').forEach((c) => c.replaceWith(...Array.from(c.childNodes)));
      return { draws: drawsWhileStreaming, drawnAtOnce, endedWith, html: blocks.innerHTML };
    },
    { id, pieces },
  );
}

/** Highlighting arrives later from a worker, for either message: compared without its (and any) spans. */
const withoutSpans = (html: string) => html.replace(/<\/?span\b[^>]*>/g, '');

/** The same text rendered as a finished message: what the streamed answer must end as. */
async function finished(h: WebviewHarness, id: string, text: string): Promise<string> {
  await h.send({ type: 'messageAdded', message: { id, role: 'assistant', text, state: 'done', seq: 0 } });
  return h.page.evaluate((id) => document.querySelector(`article[data-id="${id}"] .markdown`)!.innerHTML, id);
}

describe('streamed text and the frames that draw it', () => {
  let h: WebviewHarness;
  before(async () => {
    h = new WebviewHarness();
    await h.start({ height: 800 });
    await h.send({ type: 'snapshot', messages: [], busy: true, model: { endpoint: 'Ollama', model: 'm' }, conversationId: 'c' } as never);
  });
  after(() => h.stop());

  it('while frames are cheap, each update is in the DOM when its message has been handled', async () => {
    const pieces = Array.from({ length: 30 }, (_, i) => `word${i} `);
    const r = await stream(h, 'cheap', pieces);
    // A frame that a busy machine stretches past 16 ms can make the next update or two wait: most are at once.
    assert.ok(r.drawnAtOnce >= 27, `${r.drawnAtOnce} of 30 drawn at once`);
    assert.equal(withoutSpans(r.html), withoutSpans(await finished(h, 'cheap-done', pieces.join(''))));
  });

  it('when frames are slow, updates are drawn less often than they come, and the answer ends complete', async () => {
    const text = realWorldDocument().slice(0, 40_000);
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += 600) pieces.push(text.slice(i, i + 600));
    const cdp = await h.page.context().newCDPSession(h.page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 12 });
    let r: Awaited<ReturnType<typeof stream>>;
    try {
      r = await stream(h, 'slow', pieces);
    } finally {
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    }
    assert.ok(r.draws < pieces.length * 0.75, `${r.draws} draws for ${pieces.length} updates`);
    assert.ok(r.endedWith!.length > text.length * 0.8, 'the end draws what was waiting');
    assert.equal(withoutSpans(r.html), withoutSpans(await finished(h, 'slow-done', text)));
  });
});
