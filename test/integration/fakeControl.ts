/**
 * The runner's side of the fake: test/fakes/ollamaServer.ts on a free port, and a control server the suite
 * in VS Code's extension host drives over HTTP (see controlProtocol.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerLines, FakeOllama, paced, type ChatScript } from '../fakes/ollamaServer';
import { PLAN_KINDS, type ChatPlan, type FakeState } from './controlProtocol';

const DEFAULT_PLAN: ChatPlan = { kind: 'answer', tokens: ['Hello', ', ', 'world', '!'] };

export function scriptFor(plan: ChatPlan, model: string): ChatScript {
  switch (plan.kind) {
    case 'answer': {
      const lines = answerLines(model, plan.tokens);
      return { steps: plan.intervalMs ? paced(lines, plan.intervalMs) : lines };
    }
    case 'hang':
      return { steps: answerLines(model, plan.tokens).slice(0, -1), hang: true };
    case 'holdHeaders':
      return { holdHeadersMs: plan.ms, steps: answerLines(model, ['(loaded)']) };
    case 'error':
      return { status: plan.status, error: plan.error };
    case 'toolCalls':
      return {
        steps: answerLines(model, plan.tokens ?? [], {
          toolCalls: plan.calls.map((c) => ({ function: { name: c.name, arguments: c.arguments ?? {} } })),
        }),
      };
  }
}

export class FakeWithControl {
  readonly fake = new FakeOllama();
  private plan: ChatPlan = DEFAULT_PLAN;
  private control: Server | undefined;

  get controlUrl(): string {
    const address = this.control?.address() as AddressInfo | undefined;
    if (!address) throw new Error('The control server is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<void> {
    this.fake.onChat = (body) => {
      const plan = this.plan;
      // A toolCalls plan answers one request: the next (the tool results going back) follows its `then`.
      if (plan.kind === 'toolCalls') this.plan = plan.then ?? DEFAULT_PLAN;
      return scriptFor(plan, typeof body?.model === 'string' ? body.model : 'unknown');
    };
    await this.fake.start();
    this.control = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (status: number, value: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        try {
          const path = (req.url ?? '/').split('?')[0];
          if (req.method === 'GET' && path === '/state') return reply(200, this.state());
          if (req.method === 'POST' && path === '/reset') {
            this.fake.requests.length = 0;
            this.fake.closed.length = 0;
            this.plan = DEFAULT_PLAN;
            return reply(200, { ok: true });
          }
          if (req.method === 'POST' && path === '/plan') {
            const plan = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatPlan;
            if (!PLAN_KINDS.includes(plan?.kind)) return reply(400, { error: `unknown plan ${JSON.stringify(plan)}` });
            this.plan = plan;
            return reply(200, { ok: true });
          }
          reply(404, { error: `no ${req.method} ${path}` });
        } catch (err) {
          reply(500, { error: String(err) });
        }
      });
    });
    await new Promise<void>((resolve) => this.control!.listen(0, '127.0.0.1', resolve));
  }

  state(): FakeState {
    return {
      url: this.fake.url,
      requests: this.fake.requests.map((r) => ({ path: r.path, body: r.body })),
      closed: this.fake.closed.map((c) => ({ path: c.path, headersSent: c.headersSent })),
    };
  }

  async stop(): Promise<void> {
    this.control?.closeAllConnections();
    await new Promise<void>((resolve) => (this.control ? this.control.close(() => resolve()) : resolve()));
    this.control = undefined;
    await this.fake.stop();
  }
}
