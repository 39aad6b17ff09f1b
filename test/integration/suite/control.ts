/**
 * The suite's side of the fake Ollama: it lives in the runner's process, so the suite asks its control
 * server what it saw (see ../controlProtocol.ts).
 */
import * as vscode from 'vscode';
import { CONTROL_ENV, CONTROL_SETTING, type ChatPlan, type FakeRequest, type FakeState } from '../controlProtocol';

export class FakeControl {
  constructor(readonly base: string) {}

  /** From the environment the runner gave VS Code, else from the user settings it wrote. */
  static fromEnvironment(): FakeControl {
    const url = process.env[CONTROL_ENV] || vscode.workspace.getConfiguration().get<string>(CONTROL_SETTING);
    if (!url)
      throw new Error(
        `No fake server: neither ${CONTROL_ENV} nor the ${CONTROL_SETTING} user setting is set. Run this suite with test/integration/run.ts.`,
      );
    return new FakeControl(url.replace(/\/+$/, ''));
  }

  async state(): Promise<FakeState> {
    return (await this.call('GET', '/state')) as FakeState;
  }

  async plan(plan: ChatPlan): Promise<void> {
    await this.call('POST', '/plan', plan);
  }

  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }

  /** Polls the fake's record until `predicate` holds; the error names what was awaited and what was seen. */
  async until(predicate: (s: FakeState) => boolean, what: string, timeoutMs = 10_000): Promise<FakeState> {
    const end = Date.now() + timeoutMs;
    let last: FakeState | undefined;
    while (Date.now() < end) {
      last = await this.state();
      if (predicate(last)) return last;
      await sleep(50);
    }
    throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. The fake saw: ${JSON.stringify(summary(last), null, 1)}`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(this.base + path, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });
    const value = await res.json();
    if (!res.ok) throw new Error(`Fake control ${method} ${path}: ${res.status} ${JSON.stringify(value)}`);
    return value;
  }
}

export const chatRequests = (s: FakeState): FakeRequest[] => s.requests.filter((r) => r.path === '/api/chat');

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function summary(s: FakeState | undefined): unknown {
  if (!s) return 'nothing (no answer from the control server)';
  return {
    requests: s.requests.map((r) => `${r.path}${r.body?.messages ? ` (${r.body.messages.length} messages)` : ''}`),
    closed: s.closed,
  };
}
