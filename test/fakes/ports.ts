/** Loopback ports for tests: one free to listen on, and one with nothing listening (connection refused). */
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A port that was just free: connecting to it is refused. */
export const closedPort = freePort;
