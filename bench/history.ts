/**
 * Figure 8: opening a long conversation (1,000 messages) in the real webview bundle, in headless Chromium
 * under the real page's CSP (test/webview/harness.ts). Ours: `MessageList` renders the newest 40 items and
 * the older ones a batch at a time as the user scrolls up (`OlderMessages`). Naive: every message rendered
 * at once, as most chat UIs do: the page built with a batch of Infinity (bench/baselines/pageBundle.ts). Both
 * use the same markdown renderer, so the window is the only difference. Ours and naive alternate, each run in a
 * fresh browser, and the medians are compared.
 *
 * Per run, in the page: a small conversation first (so the code is warm and highlight.js loaded, as in a
 * page that already showed something), then the 1,000-message `snapshot`:
 *   painted:   dispatch -> the next animation frame has run and a task after it (the frame is painted);
 *   idle:      dispatch -> the first of two full idle periods in a row (deferred code highlighting done);
 *   DOM nodes: every node in the document once idle (TreeWalker, SHOW_ALL), and elements apart;
 *   heap:      V8 heap used after a forced GC (CDP HeapProfiler.collectGarbage, Runtime.getHeapUsage);
 *   renderer:  the private memory (USS) of the page's renderer process then (/proc): DOM and layout live there;
 *   to top:    a wheel turn up (unpins the list), scrollTop = 0, and again as soon as each older batch is
 *              in, until the first message is in the DOM, plus the frame that shows it (ours loads 24
 *              batches on the way; naive has it all).
 *   Page Up:   the snapshot again (the view back at the bottom), a click on the newest answer's text, then
 *              Page Up held: a press every 33 ms (a key repeat of 30/s) from Playwright, for HOLD_MS or until
 *              the first message is on screen. A frame counts as waiting when the top of what is rendered
 *              (the sentinel) is on screen while older messages are still missing: the user sees the end of
 *              the list and no new content. Reported: the time spent in such frames, their count, the
 *              longest frame while holding, and how far the view got (messages rendered above).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { MessageSnapshot } from '../src/shared/protocol';
import { longAnswer, realWorldDocs } from '../test/fixtures/markdownCorpus';
import { WebviewHarness } from '../test/webview/harness';
import { baselinePage } from './baselines/pageBundle';
import { median } from './hosts';
import type { Figure } from './report';

const MESSAGES = 1_000;
const VIEWPORT = { width: 420, height: 800 };
const HOLD_MS = 6_000;
const KEY_REPEAT_MS = 33;

/** Splits markdown into top-level blocks at blank lines, keeping fenced code blocks whole. */
function blocks(text: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let fence: string | undefined;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      current.push(line);
      if (open && open[0] === fence[0] && open.length >= fence.length && line.trim() === open) fence = undefined;
    } else if (open) {
      current.push(line);
      fence = open;
    } else if (line.trim() === '') {
      if (current.length) out.push(current.join('\n'));
      current = [];
    } else current.push(line);
  }
  if (current.length) out.push(current.join('\n'));
  return out;
}

/**
 * 1,000 messages, a question then its answer: answers of 1-3 KB, consecutive blocks of a real README (or
 * the CommonMark spec, or the generated long answer's prose, lists, tables and code), the sources taking
 * turns; short questions, some with a pasted snippet. Deterministic.
 */
export function conversation(count = MESSAGES): { messages: MessageSnapshot[]; bytes: number; answerBytes: number[] } {
  // mulberry32: the low bits of a power-of-two LCG repeat too soon for small ranges.
  let seed = 11;
  const rand = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
  // Badges and images are left out: the page's CSP would only block them.
  const usable = (b: string) => b.length >= 20 && b.length <= 2_500 && !b.includes('![');
  const docs = realWorldDocs().map((d) => blocks(d.text).filter(usable));
  const generated = blocks(longAnswer(30_000)).filter(usable);
  // Each answer reads on in one source (from its start again once used up); the sources take turns.
  // (READMEs shorter than an answer, which would repeat within one, are left out.)
  const sources = [...docs, generated].filter((s) => s.join('\n\n').length > 4_000);
  const cursors = sources.map(() => 0);
  const next = (k: number) => sources[k][cursors[k]++ % sources[k].length];
  const all = sources.flat();
  const headings = all
    .filter((b) => /^#{1,4} \S/.test(b))
    .map((b) =>
      b
        .replace(/^#+ /, '')
        .replace(/[`*_#[\]]/g, '')
        .trim()
        .slice(0, 60),
    );
  const code = all.filter((b) => /^```\w/.test(b) && b.length < 400);
  const messages: MessageSnapshot[] = [];
  const answerBytes: number[] = [];
  for (let i = 0; messages.length < count; i++) {
    const topic = headings[rand(headings.length)] ?? 'streaming markdown';
    const kind = rand(4);
    const question =
      kind === 0
        ? `How do I use "${topic}"? A short example would help.`
        : kind === 1
          ? `What is the difference between ${topic.toLowerCase()} and ${headings[rand(headings.length)]?.toLowerCase() ?? 'the default'}, and when should I pick one over the other?`
          : kind === 2
            ? `This does not do what I expect, can you explain why?\n\n${code[rand(code.length)] ?? '`x`'}`
            : `Summarise "${topic}" for me, in a few points.`;
    messages.push({ id: `u${i}`, role: 'user', text: question, state: 'done', seq: 0 });
    if (messages.length === count) break;
    const target = 1_000 + rand(2_000);
    const parts: string[] = [];
    let length = 0;
    const source = i % sources.length;
    while (length < target) {
      const b = next(source);
      if (length >= 1_000 && length + b.length > 3_000) break;
      parts.push(b);
      length += b.length + 2;
    }
    const text = parts.join('\n\n');
    answerBytes.push(Buffer.byteLength(text));
    messages.push({
      id: `a${i}`,
      role: 'assistant',
      text,
      state: 'done',
      seq: 1 + rand(400),
      metrics: {
        firstTokenMs: 300 + rand(900),
        tokensPerSecond: 20 + rand(60),
        promptTokens: 500 + rand(4_000),
        completionTokens: Math.round(text.length / 4),
      },
    });
  }
  return { messages, bytes: Buffer.byteLength(JSON.stringify(messages)), answerBytes };
}

export interface HistoryRun {
  variant: 'ours' | 'naive';
  /** Dispatch returned (the message handler, including the layout the scroll pinning forces). */
  handlerMs: number;
  paintedMs: number;
  idleMs: number;
  nodes: number;
  elements: number;
  articles: number;
  heapBeforeMB: number;
  heapMB: number;
  /** The page's renderer process, private memory (USS), after the GC: the DOM and layout live here, not in the V8 heap. */
  rendererMB: number;
  /** Every renderer process of the browser, largest first (the first is the page's). */
  renderersMB: number[];
  toTopMs: number;
  /** Batches put in on the way to the top. */
  toTopBatches: number;
  /** The longest wait for one of them: the worst hitch while scrolling up. */
  toTopLongestBatchMs: number;
  /** Holding Page Up from the bottom: time in frames that showed the top of the rendered items, older ones missing. */
  pageUpWaitingMs: number;
  pageUpWaitingFrames: number;
  /** The longest frame while Page Up was held (a long task shows as a frame that long), and frames over 50 ms. */
  pageUpLongestFrameMs: number;
  pageUpLongFrames: number;
  pageUpPresses: number;
  /** Messages above the one at the top of the screen when the holding ended (the first reached: 0). */
  pageUpLeft: number;
}

/**
 * Private memory (USS) of the renderer processes under this process, in MB, largest first; empty off Linux.
 * Not PSS: its share of pages shared with other Chromiums on the machine varies from run to run. Headless
 * Chromium keeps a small renderer or two beside the page's, so the page's is the largest.
 */
function rendererPrivateMB(): number[] {
  try {
    const parent = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        parent.set(
          Number(entry),
          Number(
            readFileSync(`/proc/${entry}/stat`, 'utf8')
              .replace(/^.*\) /s, '')
              .split(' ')[1],
          ),
        );
      } catch {
        // gone meanwhile
      }
    }
    const ours = (pid: number): boolean => {
      for (let p = parent.get(pid); p && p > 1; p = parent.get(p)) if (p === process.pid) return true;
      return false;
    };
    const sizes: number[] = [];
    for (const pid of parent.keys()) {
      if (!ours(pid)) continue;
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
        const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
        const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? Number.NaN);
        sizes.push((kb('Private_Clean') + kb('Private_Dirty')) / 1024);
      } catch {
        // gone meanwhile
      }
    }
    return sizes.sort((a, b) => b - a);
  } catch {
    return [];
  }
}

async function openOnce(variant: 'ours' | 'naive', messages: MessageSnapshot[]): Promise<HistoryRun> {
  const h = new WebviewHarness();
  await h.start({ webviewJs: variant === 'naive' ? await baselinePage('allMessages') : undefined, ...VIEWPORT });
  try {
    const cdp = await h.page.context().newCDPSession(h.page);
    const heapMB = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize / 1024 / 1024;
    };
    const model = { endpoint: 'Ollama', model: 'qwen3:latest' };
    // Warm-up: a page that already showed a short conversation (code paths compiled, highlight.js loaded).
    await h.send({ type: 'snapshot', busy: false, model, messages: messages.slice(-6).map((m) => ({ ...m, id: `warm-${m.id}` })) });
    await h.page.evaluate(() => new Promise<void>((r) => setTimeout(r, 300)));
    await h.send({ type: 'snapshot', busy: false, model, messages: [] });
    const heapBeforeMB = await heapMB();
    await h.page.evaluate((data) => ((window as any).__benchSnapshot = data), { type: 'snapshot', busy: false, model, messages });
    const opened = await h.page.evaluate(async () => {
      const w = window as any;
      const data = w.__benchSnapshot;
      delete w.__benchSnapshot;
      const t0 = performance.now();
      window.dispatchEvent(new MessageEvent('message', { data }));
      const handlerMs = performance.now() - t0;
      await new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const paintedMs = performance.now() - t0;
      // Idle: two idle periods in a row with (nearly) the full 50 ms to spare; the time is the first one's.
      let calmSince = 0;
      for (let calm = 0; calm < 2;) {
        const { at, left } = await new Promise<{ at: number; left: number }>((r) =>
          requestIdleCallback((d) => r({ at: performance.now(), left: d.timeRemaining() })),
        );
        if (left >= 45) {
          if (calm++ === 0) calmSince = at;
        } else calm = 0;
      }
      const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
      let nodes = 1;
      while (walker.nextNode()) nodes++;
      return {
        handlerMs,
        paintedMs,
        idleMs: calmSince - t0,
        nodes,
        elements: document.getElementsByTagName('*').length,
        articles: document.querySelectorAll('.messages article').length,
      };
    });
    const heap = await heapMB();
    const renderersMB = rendererPrivateMB();
    const rendererMB = renderersMB[0] ?? Number.NaN;
    const top = await h.page.evaluate(async (firstId) => {
      const list = document.querySelector('.messages') as HTMLElement;
      const first = () => !!list.querySelector(`article[data-id="${firstId}"]`);
      const frame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const t0 = performance.now();
      // The list follows the bottom until the user scrolls up (its wheel, key and scrollbar handlers): a
      // wheel turn up first, as a user's, or the list would pull itself back down.
      list.dispatchEvent(new WheelEvent('wheel', { deltaY: -120, bubbles: true }));
      let batches = 0;
      let last = t0;
      let longest = 0;
      // As a user holding the scrollbar at the top: back to 0 as soon as each batch is in (a microtask
      // after the insertion), so the next frame's intersection check asks for the next batch.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the first message was not rendered after ${batches} batches`)), 120_000);
        const done = () => {
          observer.disconnect();
          clearTimeout(timer);
          resolve();
        };
        const observer = new MutationObserver(() => {
          const now = performance.now();
          batches++;
          longest = Math.max(longest, now - last);
          last = now;
          list.scrollTop = 0;
          if (first()) done();
        });
        observer.observe(list, { childList: true });
        list.scrollTop = 0;
        if (first()) done();
      });
      // …and the frame that shows it, at the top (again if the last batch's settling moved it).
      for (let i = 0; ; i++) {
        list.scrollTop = 0;
        await frame();
        if (list.scrollTop === 0) break;
        if (i === 10) throw new Error(`not at the top: scrollTop ${list.scrollTop}`);
      }
      return { toTopMs: performance.now() - t0, toTopBatches: batches, toTopLongestBatchMs: longest };
    }, messages[0].id);
    const pageUp = await holdPageUp(h, { type: 'snapshot', busy: false, model, messages });
    return { variant, ...opened, heapBeforeMB, heapMB: heap, rendererMB, renderersMB, ...top, ...pageUp };
  } finally {
    await h.stop();
  }
}

/** The conversation opened again, then Page Up held from the bottom at a human key repeat rate (see the top). */
async function holdPageUp(
  h: WebviewHarness,
  snapshot: Parameters<WebviewHarness['send']>[0],
): Promise<
  Pick<HistoryRun, 'pageUpWaitingMs' | 'pageUpWaitingFrames' | 'pageUpLongestFrameMs' | 'pageUpLongFrames' | 'pageUpPresses' | 'pageUpLeft'>
> {
  await h.send(snapshot);
  await h.page.evaluate(() => new Promise<void>((r) => requestIdleCallback(() => r())));
  // Keyboard scrolling goes to the scroller the user last clicked in: a click on the newest answer's text.
  const last = h.page.locator('.messages > article').last().locator('.markdown');
  await last.click({ position: { x: 5, y: 5 } });
  await h.page.evaluate(() => {
    const w = window as any;
    const list = document.querySelector('.messages') as HTMLElement;
    const sentinel = list.querySelector('.older-sentinel') as HTMLElement | null;
    const rec = (w.__pageUp = { waitingMs: 0, waitingFrames: 0, longestFrameMs: 0, longFrames: 0, stop: false });
    let previous = performance.now();
    const frame = (now: number) => {
      const dt = now - previous;
      previous = now;
      rec.longestFrameMs = Math.max(rec.longestFrameMs, dt);
      if (dt > 50) rec.longFrames++;
      const missing = !!sentinel && !sentinel.hidden;
      if (missing && sentinel.getBoundingClientRect().bottom > list.getBoundingClientRect().top) {
        rec.waitingMs += dt;
        rec.waitingFrames++;
      }
      if (!rec.stop) requestAnimationFrame(frame);
    };
    requestAnimationFrame((now) => {
      previous = now;
      requestAnimationFrame(frame);
    });
  });
  const atFirst = () =>
    h.page.evaluate(() => {
      const list = document.querySelector('.messages') as HTMLElement;
      const sentinel = list.querySelector('.older-sentinel') as HTMLElement | null;
      return (!sentinel || sentinel.hidden) && list.scrollTop === 0;
    });
  const t0 = performance.now();
  let presses = 0;
  while (performance.now() - t0 < HOLD_MS) {
    await h.page.keyboard.press('PageUp');
    presses++;
    if (presses % 10 === 0 && (await atFirst())) break;
    const next = t0 + presses * KEY_REPEAT_MS - performance.now();
    if (next > 0) await new Promise((r) => setTimeout(r, next));
  }
  return h.page.evaluate((p) => {
    const w = window as any;
    const rec = w.__pageUp;
    rec.stop = true;
    const list = document.querySelector('.messages') as HTMLElement;
    const top = list.getBoundingClientRect().top;
    const articles = Array.from(list.querySelectorAll(':scope > article'));
    const onScreen = articles.findIndex((a) => a.getBoundingClientRect().bottom > top);
    const firstId = articles[0]?.getAttribute('data-id') ?? '';
    const index = Number(/\d+/.exec(firstId)?.[0] ?? 0) * 2 + (firstId.startsWith('a') ? 1 : 0);
    return {
      pageUpWaitingMs: rec.waitingMs,
      pageUpWaitingFrames: rec.waitingFrames,
      pageUpLongestFrameMs: rec.longestFrameMs,
      pageUpLongFrames: rec.longFrames,
      pageUpPresses: p,
      pageUpLeft: index + Math.max(0, onScreen),
    };
  }, presses);
}

export async function benchHistory(opts: { runs: number }, log: (s: string) => void): Promise<{ figures: Figure[]; section: unknown }> {
  const { messages, bytes, answerBytes } = conversation();
  const sorted = [...answerBytes].sort((a, b) => a - b);
  log(
    `history: ${messages.length} messages, ${(bytes / 1024 / 1024).toFixed(2)} MB of JSON, answers ${sorted[0]}-${sorted.at(-1)} bytes (median ${median(sorted)}), ${opts.runs} runs each`,
  );
  const runs: HistoryRun[] = [];
  for (let i = 0; i < opts.runs; i++) {
    // Alternate which goes first, so a noisy neighbour or a warmer disk cache does not favour one side.
    for (const variant of i % 2 ? (['naive', 'ours'] as const) : (['ours', 'naive'] as const)) {
      const r = await openOnce(variant, messages);
      runs.push(r);
      log(
        `history ${i + 1}/${opts.runs} ${variant.padEnd(5)}: painted ${r.paintedMs.toFixed(0)} ms (handler ${r.handlerMs.toFixed(0)}), idle ${r.idleMs.toFixed(0)} ms, ${r.nodes} nodes, heap ${r.heapMB.toFixed(1)} MB, renderer ${r.rendererMB.toFixed(0)} MB (all renderers: ${r.renderersMB.map((m) => m.toFixed(0)).join(' + ')}), to top ${r.toTopMs.toFixed(0)} ms, ${r.toTopBatches} batches (longest ${r.toTopLongestBatchMs.toFixed(0)} ms); Page Up held: waiting ${r.pageUpWaitingMs.toFixed(0)} ms in ${r.pageUpWaitingFrames} frames, longest frame ${r.pageUpLongestFrameMs.toFixed(0)} ms, ${r.pageUpLongFrames} over 50 ms, ${r.pageUpPresses} presses, ${r.pageUpLeft} messages left above`,
      );
    }
  }
  const of = (variant: 'ours' | 'naive', key: keyof HistoryRun) => runs.filter((r) => r.variant === variant).map((r) => r[key] as number);
  const pair = (key: keyof HistoryRun) => ({ ours: of('ours', key), naive: of('naive', key) });
  const figures: Figure[] = [
    {
      measure: 'History: open 1,000 messages, snapshot -> painted',
      chartLabel: 'Open 1,000 messages (to first paint)',
      unit: 'ms',
      digits: 0,
      better: 'lower',
      ...pair('paintedMs'),
    },
    {
      measure: 'History: open 1,000 messages, snapshot -> idle (highlighting done)',
      chartLabel: 'Open 1,000 messages (until idle)',
      unit: 'ms',
      digits: 0,
      better: 'lower',
      ...pair('idleMs'),
    },
    {
      measure: 'History: DOM nodes after opening 1,000 messages',
      chartLabel: 'DOM nodes, 1,000 messages open',
      unit: 'nodes',
      digits: 0,
      better: 'lower',
      ...pair('nodes'),
    },
    {
      measure: 'History: webview JS heap after opening 1,000 messages',
      chartLabel: 'Webview heap, 1,000 messages open',
      unit: 'MB',
      digits: 1,
      better: 'lower',
      ...pair('heapMB'),
    },
    {
      measure: 'History: webview renderer private memory (USS) after opening 1,000 messages',
      chartLabel: 'Renderer memory, 1,000 messages open',
      unit: 'MB',
      digits: 0,
      better: 'lower',
      ...pair('rendererMB'),
    },
    {
      measure: 'History: scroll to the first of 1,000 messages',
      chartLabel: 'Scroll to the top of 1,000 messages',
      unit: 'ms',
      digits: 0,
      better: 'lower',
      chart: false,
      ...pair('toTopMs'),
    },
    {
      measure: `History: Page Up held from the bottom (30/s, ${HOLD_MS / 1000} s), time waiting at the top of what is rendered`,
      unit: 'ms',
      digits: 0,
      better: 'lower',
      chart: false,
      ...pair('pageUpWaitingMs'),
    },
    {
      measure: `History: Page Up held from the bottom (30/s, ${HOLD_MS / 1000} s), longest frame`,
      unit: 'ms',
      digits: 0,
      better: 'lower',
      chart: false,
      ...pair('pageUpLongestFrameMs'),
    },
  ];
  const medians = (variant: 'ours' | 'naive') =>
    Object.fromEntries(
      (
        [
          'handlerMs',
          'paintedMs',
          'idleMs',
          'nodes',
          'elements',
          'articles',
          'heapBeforeMB',
          'heapMB',
          'rendererMB',
          'toTopMs',
          'toTopBatches',
          'toTopLongestBatchMs',
          'pageUpWaitingMs',
          'pageUpWaitingFrames',
          'pageUpLongestFrameMs',
          'pageUpLongFrames',
          'pageUpPresses',
          'pageUpLeft',
        ] as const
      ).map((k) => [k, median(of(variant, k))]),
    );
  const ours = medians('ours');
  const naive = medians('naive');
  const ratios = Object.fromEntries(Object.keys(ours).map((k) => [k, naive[k] / ours[k]]));
  return {
    figures,
    section: {
      messages: messages.length,
      snapshotBytes: bytes,
      answerBytes: { min: sorted[0], median: median(sorted), max: sorted.at(-1) },
      viewport: VIEWPORT,
      runs: opts.runs,
      medians: { ours, naive, 'naive / ours': ratios },
      all: runs,
    },
  };
}
