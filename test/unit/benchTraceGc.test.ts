import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { majorGcs } from '../../bench/traceGc';

/**
 * A trace shaped as Chromium writes one (the event names and argument layout of a code-server trace with
 * `disabled-by-default-v8.gc`): the page's renderer (pid 1) and another renderer (pid 2) that also collects.
 */
function trace(): object {
  const nvp = (start: number, end: number) =>
    JSON.stringify({
      gc: 'mc',
      reason: 'finalize incremental marking via task',
      start_global_consumed_size: start,
      end_global_consumed_size: end,
    });
  const counters = (pid: number, ts: number, documents: number) => ({
    name: 'UpdateCounters',
    ph: 'I',
    pid,
    tid: pid,
    ts,
    args: { data: { documents, nodes: 1000, jsHeapSizeUsed: 1 } },
  });
  return {
    traceEvents: [
      { name: 'thread_name', ph: 'M', pid: 1, tid: 1, ts: 0, args: { name: 'CrRendererMain' } },
      { name: 'thread_name', ph: 'M', pid: 2, tid: 2, ts: 0, args: { name: 'CrRendererMain' } },
      { name: 'bench-question', ph: 'R', pid: 1, tid: 1, ts: 1_000_000, args: {} },
      counters(1, 1_000_000, 17),
      counters(2, 1_000_000, 3),
      {
        name: 'V8.GCIncrementalMarkingStart',
        ph: 'X',
        pid: 1,
        tid: 1,
        ts: 5_500_000,
        dur: 100,
        args: { value: { reason: 'approaching global allocation limit' } },
      },
      { name: 'MajorGC', ph: 'X', pid: 1, tid: 1, ts: 6_000_000, dur: 45_000, tdur: 15_000, args: {} },
      { name: 'V8.GCTraceGCNVP', ph: 'I', pid: 1, tid: 1, ts: 6_045_000, args: { value: nvp(181e6, 130e6) } },
      counters(1, 6_300_000, 10),
      { name: 'MajorGC', ph: 'X', pid: 2, tid: 2, ts: 7_000_000, dur: 7_000, tdur: 2_000, args: {} },
      { name: 'V8.GCTraceGCNVP', ph: 'I', pid: 2, tid: 2, ts: 7_007_000, args: { value: nvp(10e6, 10e6) } },
    ],
  };
}

test("a trace's major GCs are the page's renderer's, timed from the question, with V8's reason and what went", () => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-gc-'));
  try {
    const path = join(dir, 'trace.json');
    writeFileSync(path, JSON.stringify(trace()));
    assert.deepEqual(majorGcs(path, 'bench-question'), [
      {
        atS: 5,
        wallMs: 45,
        cpuMs: 15,
        reason: 'approaching global allocation limit',
        beforeMb: 181,
        afterMb: 130,
        documents: [17, 10],
      },
    ]);
    // Without the mark every renderer counts, timed from the trace's first event.
    assert.equal(majorGcs(path).length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
