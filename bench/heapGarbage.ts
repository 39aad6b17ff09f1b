/**
 * What an answer leaves for the garbage collector: the real-world document streamed into the page, with V8's
 * own accounts of every major collection (Chromium's `disabled-by-default-v8.gc` trace category), counting
 * V8's heap, Blink's (DOM nodes, styles, layout objects and fragments live there) and external memory
 * together, as V8 does when it decides to collect. Garbage is what the collections during and after the
 * answer freed; kept is what is still alive after a forced collection at the end.
 *
 * Why it matters: in code-server the webview shares its renderer with the workbench, and a major collection
 * there stops our page for 15-30 ms of CPU; with a core busy, the page's tasks while V8 marks and just after
 * it stretch past 50 ms (bench/editorLongTasks.ts with BENCH_TRACE_FILE). V8 starts one when the memory
 * allocated since the last approaches its limit, so the less an answer allocates, the fewer land in answers.
 * JavaScript's own allocation (bench/render.ts allocationRun) is a small part: what lays the page out is most
 * of it.
 *
 * Three pages: ours, the naive full re-render, and a lower bound for any incremental page, `appended`: the
 * final blocks of our own render put into the same message as they arrive (parsed once, appended in groups
 * of 64, never re-rendered).
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { WebviewHarness } from '../test/webview/harness';
import { baselinePage } from './baselines/pageBundle';
import { markCompacts, readTrace } from './traceGc';

export interface GarbageRun {
  /** Freed by major collections from the first update to a forced collection after the end, MB. */
  garbageMB: number;
  /** Alive after that forced collection, beyond what was alive before the answer, MB. */
  keptMB: number;
  /** Major collections V8 started on its own while the answer streamed. */
  collections: number;
}

/**
 * Streams `updates` (20 a second) into a fresh page: ours, the naive baseline, or `appended` (then `finalHtml`
 * is our render's end, whose blocks arrive in proportion). Returns the figures and our page's final HTML.
 */
export async function garbageRun(
  page: 'incremental' | 'naive' | 'appended',
  updates: string[],
  finalHtml = '',
): Promise<GarbageRun & { finalHtml: string }> {
  const h = new WebviewHarness();
  await h.start({ webviewJs: page === 'naive' ? await baselinePage('fullRender') : undefined, height: 800 });
  const cdp = await h.page.context().newCDPSession(h.page);
  const browser = (h as unknown as { browser: Browser }).browser;
  const trace = join(tmpdir(), `model-chat-bench-garbage-${process.pid}-${page}.json`);
  try {
    await h.page.evaluate(() => {
      const message = { id: 'rw', role: 'assistant', text: '', state: 'streaming', seq: 0 };
      window.dispatchEvent(new MessageEvent('message', { data: { type: 'messageAdded', message } }));
    });
    await cdp.send('HeapProfiler.collectGarbage');
    await browser.startTracing(h.page, { path: trace, categories: ['v8', 'disabled-by-default-v8.gc', 'blink.user_timing'] });
    await cdp.send('HeapProfiler.collectGarbage');
    const html = await h.page.evaluate(
      async ({ updates, page, finalHtml }) => {
        const send = (data: unknown) => window.dispatchEvent(new MessageEvent('message', { data }));
        const body = document.querySelector('article[data-id="rw"] .markdown')!;
        const template = document.createElement('template');
        template.innerHTML = finalHtml;
        const blocks = Array.from(template.content.children).flatMap((c) => (c.classList.contains('chunk') ? Array.from(c.children) : [c]));
        let appended = 0;
        let group: HTMLElement | undefined;
        const append = (upTo: number) => {
          for (const block of blocks.slice(appended, upTo)) {
            if (!group || group.childElementCount >= 64) {
              group = document.createElement('div');
              group.className = 'chunk';
              body.append(group);
            }
            group.append(block);
          }
          appended = Math.max(appended, upTo);
          const list = document.querySelector('.messages')!;
          list.scrollTop = list.scrollHeight;
        };
        performance.mark('answer-start');
        let next = performance.now();
        for (let i = 0; i < updates.length; i++) {
          if (page === 'appended') append(Math.round(((i + 1) / updates.length) * blocks.length));
          else send({ type: 'delta', id: 'rw', seq: i + 1, text: updates[i] });
          next += 50;
          await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
        }
        if (page !== 'appended') send({ type: 'delta', id: 'rw', seq: updates.length + 1, text: '', end: { state: 'done' } });
        await new Promise((r) => setTimeout(r, 1500));
        performance.mark('answer-end');
        return body.innerHTML;
      },
      { updates, page, finalHtml },
    );
    await cdp.send('HeapProfiler.collectGarbage');
    await browser.stopTracing();
    return { ...garbageFrom(trace), finalHtml: html };
  } finally {
    await h.stop();
    rmSync(trace, { force: true });
  }
}

/** The page's main thread's major collections, from the forced one before the answer to the one after it. */
function garbageFrom(trace: string): GarbageRun {
  const events = readTrace(trace);
  const start = events.find((e) => e.name === 'answer-start')!;
  const end = events.find((e) => e.name === 'answer-end')!;
  const majors = markCompacts(events, (e) => e.pid === start.pid && e.tid === start.tid);
  const before = majors.filter((g) => g.ts < start.ts).at(-1)!;
  const after = majors.filter((g) => g.ts > end.ts);
  const during = majors.filter((g) => g.ts >= start.ts);
  return {
    garbageMB: during.reduce((sum, g) => sum + g.startBytes - g.endBytes, 0) / 1e6,
    keptMB: (after.at(-1)!.endBytes - before.endBytes) / 1e6,
    collections: during.filter((g) => g.ts <= end.ts).length,
  };
}
