/**
 * MCP tool calls against @modelcontextprotocol/server-everything over stdio, through McpConnections and
 * runTool, as the extension runs them.
 * Figure 3b: Stop of a running tool call: abort -> `notifications/cancelled` written to the server (seen
 *   by wrapping the real transport's send), and abort -> runTool resolves as cancelled. Naive: a call not
 *   cancelled, which the user waits out until the tool finishes.
 * Figure 4: a round of three ~400 ms calls, with Promise.all vs one after another.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { McpConnections } from '../src/tools/mcp/mcpConnections';
import { runTool } from '../src/tools/mcp/toolRunner';
import { everythingBin, memoryLogger, nodeServer } from '../test/fakes/mcpServers';
import { median } from './hosts';
import type { Figure } from './report';

const LONG_OP = 'trigger-long-running-operation';
/** The call Stop interrupts: 1 s in 10 steps; Stop comes with the second progress notification (~200 ms). */
const CANCEL_ARGS = { duration: 1, steps: 10 };
const STOP_AT_PROGRESS = 2;
/** Each call of the parallel round: ~400 ms. */
const ROUND_ARGS = { duration: 0.4, steps: 2 };

interface CancelRun {
  /** abort -> notifications/cancelled handed to the stdio transport */
  cancelSentMs: number;
  /** abort -> runTool resolved (outcome 'cancelled') */
  resolvedMs: number;
  outcome: string;
}

export async function benchTools(opts: { runs: number }, log: (s: string) => void): Promise<{ figures: Figure[]; section: unknown }> {
  const connections = new McpConnections([nodeServer('everything', everythingBin())], { logger: memoryLogger() });
  try {
    await connections.ensureStarted();
    if (!connections.findTool(LONG_OP)) throw new Error(`server-everything has no ${LONG_OP}: ${JSON.stringify(connections.status)}`);
    const transport = (await connections.client('everything')).transport!;
    const send = transport.send.bind(transport);
    let cancelSentAt = 0;
    transport.send = (message: JSONRPCMessage, options) => {
      if ('method' in message && message.method === 'notifications/cancelled') cancelSentAt = performance.now();
      return send(message, options);
    };

    const cancelOurs = async (): Promise<CancelRun> => {
      cancelSentAt = 0;
      const controller = new AbortController();
      let abortAt = 0;
      const r = await runTool(
        connections,
        { name: LONG_OP, arguments: CANCEL_ARGS },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p === STOP_AT_PROGRESS && !abortAt) {
              abortAt = performance.now();
              controller.abort();
            }
          },
        },
      );
      const resolvedAt = performance.now();
      return { cancelSentMs: cancelSentAt ? cancelSentAt - abortAt : Number.NaN, resolvedMs: resolvedAt - abortAt, outcome: r.outcome };
    };
    /** The same call without forwarding Stop: the result comes when the tool is done. */
    const cancelNaive = async (): Promise<number> => {
      let stopAt = 0;
      await runTool(
        connections,
        { name: LONG_OP, arguments: CANCEL_ARGS },
        { onProgress: (p) => p === STOP_AT_PROGRESS && (stopAt ||= performance.now()) },
      );
      return performance.now() - stopAt;
    };
    const call = () => runTool(connections, { name: LONG_OP, arguments: ROUND_ARGS });
    const parallel = async () => {
      const t = performance.now();
      const rs = await Promise.all([call(), call(), call()]);
      if (!rs.every((r) => r.ok)) throw new Error(`a tool call failed: ${rs.map((r) => r.content).join('; ')}`);
      return performance.now() - t;
    };
    const sequential = async () => {
      const t = performance.now();
      for (let i = 0; i < 3; i++) if (!(await call()).ok) throw new Error('a tool call failed');
      return performance.now() - t;
    };

    await cancelOurs(); // warm-up
    await parallel();
    const cancel: CancelRun[] = [];
    const waitedOut: number[] = [];
    const par: number[] = [];
    const seq: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      cancel.push(await cancelOurs());
      waitedOut.push(await cancelNaive());
      par.push(await parallel());
      seq.push(await sequential());
    }
    transport.send = send;
    log(
      `  MCP: cancel sent ${median(cancel.map((c) => c.cancelSentMs)).toFixed(2)} ms after Stop, runTool resolved after ${median(cancel.map((c) => c.resolvedMs)).toFixed(2)} ms (${cancel.map((c) => c.outcome).join(', ')}); uncancelled call ${median(waitedOut).toFixed(0)} ms; round of 3: parallel ${median(par).toFixed(0)} ms, sequential ${median(seq).toFixed(0)} ms`,
    );
    const figures: Figure[] = [
      {
        measure: 'Stop a tool call -> notifications/cancelled sent (naive: call waited out)',
        chartLabel: 'Stop a running MCP tool call',
        unit: 'ms',
        digits: 2,
        ours: cancel.map((c) => c.cancelSentMs),
        naive: waitedOut,
        better: 'lower',
        target: {
          label: '< 100 ms',
          met: cancel.every((c) => c.outcome === 'cancelled') && median(cancel.map((c) => c.cancelSentMs)) < 100,
        },
      },
      {
        measure: 'Stop a tool call -> runTool resolved as cancelled',
        unit: 'ms',
        digits: 2,
        ours: cancel.map((c) => c.resolvedMs),
        naive: waitedOut,
        better: 'lower',
        chart: false,
        target: { label: '< 100 ms', met: median(cancel.map((c) => c.resolvedMs)) < 100 },
      },
      {
        measure: 'Round of 3 tool calls of 400 ms: Promise.all vs sequential',
        chartLabel: 'Round of 3 tool calls (parallel)',
        unit: 'ms',
        digits: 0,
        ours: par,
        naive: seq,
        better: 'lower',
      },
    ];
    return {
      figures,
      section: {
        cancelArgs: CANCEL_ARGS,
        stopAtProgress: STOP_AT_PROGRESS,
        roundArgs: ROUND_ARGS,
        cancel,
        uncancelledMs: waitedOut,
        parallelMs: par,
        sequentialMs: seq,
      },
    };
  } finally {
    await connections.dispose();
  }
}
