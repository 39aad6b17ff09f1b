/**
 * What every fake model server in test/ shares: listening on loopback, closing every connection on stop,
 * reading a request's JSON body, and letting a test wait until something the server records has happened.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export abstract class LoopbackServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private waiters: Array<() => void> = [];
  /** Appended to the URL clients are configured with (`/v1` for OpenAI-compatible servers). */
  protected readonly urlPath: string = '';

  protected abstract handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;

  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error(`${this.constructor.name} is not started`);
    return `http://127.0.0.1:${address.port}${this.urlPath}`;
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      // Small writes go out at once, as a model server's tokens do.
      s.setNoDelay(true);
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** Resolves when `predicate` holds, checked now and after every `notify` (each request and early close). */
  until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.constructor.name}.until timed out`)), timeoutMs);
      const waiter = () => {
        if (!predicate()) return void this.waiters.push(waiter);
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  protected notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** The request body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
export async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  try {
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    return raw;
  }
}
