/**
 * The major garbage collections of the renderer's main thread in a Chromium trace (recorded with V8's
 * `disabled-by-default-v8.gc` category): when, how long (wall and the thread's own CPU), why V8 started it,
 * and what it freed. A webview in code-server shares its renderer, and so its V8 heap, with the workbench:
 * a major GC there stops our page too, and its pause grows with everything the workbench holds and has
 * dropped (closed views' documents), not only with what the page allocated. Used by editorLongTasks.ts to
 * log which collections came in a traced answer, beside its long tasks (those are mostly the page's tasks
 * while V8 marks or just after a collection, not the collection's own pause).
 */
import { readFileSync } from 'node:fs';

export interface MajorGc {
  /** Seconds after `from` (a user-timing mark's name, or the trace's first event). */
  atS: number;
  wallMs: number;
  cpuMs: number;
  /**
   * Why V8 began marking, e.g. "approaching global allocation limit" (V8 + Blink's heap + external memory), or
   * why it finished when no start was traced.
   */
  reason: string;
  /** V8 + embedder (Blink) + external bytes before and after, MB. */
  beforeMb: number;
  afterMb: number;
  /** Documents alive in the renderer before it and half a second after (closed webviews' iframes go then). */
  documents: [number, number] | undefined;
}

export interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; value?: unknown; data?: { documents?: number } };
}

export function readTrace(path: string): TraceEvent[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
}

/** One mark-compact (major) collection as V8 summed it up when it ended. */
export interface MarkCompact {
  ts: number;
  reason: string;
  /** V8 + embedder (Blink) + external bytes before and after. */
  startBytes: number;
  endBytes: number;
}

/** V8's own summaries of the major collections on the threads `on` accepts. */
export function markCompacts(events: TraceEvent[], on: (e: TraceEvent) => boolean): MarkCompact[] {
  return events
    .filter((e) => e.name === 'V8.GCTraceGCNVP' && on(e))
    .map((e) => ({ ts: e.ts, gc: JSON.parse(String(e.args?.value)) as Record<string, number | string> }))
    .filter(({ gc }) => gc.gc === 'mc')
    .map(({ ts, gc }) => ({
      ts,
      reason: String(gc.reason),
      startBytes: Number(gc.start_global_consumed_size),
      endBytes: Number(gc.end_global_consumed_size),
    }));
}

export function majorGcs(tracePath: string, from?: string): MajorGc[] {
  const events = readTrace(tracePath);
  // The renderer that holds the page: the one the `from` mark was made in, when there is one.
  const mark = events.find((e) => e.name === from);
  const main = new Set(
    events
      .filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && (!mark || e.pid === mark.pid))
      .map((e) => `${e.pid}:${e.tid}`),
  );
  const onMain = (e: TraceEvent) => main.has(`${e.pid}:${e.tid}`);
  const t0 = mark?.ts ?? Math.min(...events.filter((e) => e.ts > 0).map((e) => e.ts));
  const counters = events
    .filter((e) => e.name === 'UpdateCounters' && e.args?.data?.documents !== undefined && onMain(e))
    .sort((a, b) => a.ts - b.ts);
  const documentsAt = (ts: number) => counters.filter((e) => e.ts <= ts).at(-1)?.args?.data?.documents;
  const summaries = markCompacts(events, onMain);
  const markingStarts = events.filter((e) => e.name === 'V8.GCIncrementalMarkingStart' && onMain(e));
  return events
    .filter((e) => e.name === 'MajorGC' && e.ph === 'X' && onMain(e))
    .map((e) => {
      const end = e.ts + (e.dur ?? 0);
      const summary = summaries.find((s) => s.ts >= e.ts && s.ts <= end + 5_000);
      const started = markingStarts.filter((m) => m.ts <= e.ts).at(-1)?.args?.value as { reason?: string } | undefined;
      const before = documentsAt(e.ts);
      const after = documentsAt(end + 500_000);
      return {
        atS: (e.ts - t0) / 1e6,
        wallMs: (e.dur ?? 0) / 1000,
        cpuMs: (e.tdur ?? 0) / 1000,
        reason: started?.reason ?? summary?.reason ?? 'unknown',
        beforeMb: (summary?.startBytes ?? 0) / 1e6,
        afterMb: (summary?.endBytes ?? 0) / 1e6,
        documents: before !== undefined && after !== undefined ? [before, after] : undefined,
      };
    });
}
