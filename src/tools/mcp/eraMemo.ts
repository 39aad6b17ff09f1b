/**
 * What a stdio server spoke last time. In 'auto' mode the SDK asks a stdio server with `server/discover` in a
 * disposable second process before it starts the real one, so every start of a 2025-era server (nearly all
 * of them today) paid a second spawn: ~300 ms for server-everything, far more for `docker run` or `npx`
 * servers, and twice any side effect of starting. A remembered legacy verdict skips that probe.
 *
 * The SDK's advice is followed: a legacy verdict is dated and trusted only for a while, because an upgraded
 * server still answers `initialize` and would otherwise be spoken to in the old revision forever.
 */
import { createHash } from 'node:crypto';
import type { StdioServerConfig } from './mcpResolve';

/** Where verdicts are kept (the extension keeps them in globalState: a server's era is about the user's machine). */
export interface EraStore {
  read(): Record<string, number> | undefined;
  write(verdicts: Record<string, number>): void;
}

/** How long a legacy verdict is trusted before the server is probed again. */
export const LEGACY_VERDICT_MS = 7 * 24 * 3600_000;

export class EraMemo {
  constructor(
    private readonly store: EraStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `server` answered only the 2025 handshake within LEGACY_VERDICT_MS. */
  knownLegacy(server: StdioServerConfig): boolean {
    const at = this.store.read()?.[keyOf(server)];
    return typeof at === 'number' && this.fresh(at);
  }

  remember(server: StdioServerConfig, era: 'legacy' | 'modern' | undefined): void {
    // Expired verdicts go on every write, so servers removed from the config do not pile up.
    const verdicts = Object.fromEntries(
      Object.entries(this.store.read() ?? {}).filter(([, at]) => typeof at === 'number' && this.fresh(at)),
    );
    const key = keyOf(server);
    if (era === 'legacy') verdicts[key] = this.now();
    else delete verdicts[key];
    this.store.write(verdicts);
  }

  private fresh(at: number): boolean {
    const age = this.now() - at;
    return age >= 0 && age < LEGACY_VERDICT_MS;
  }
}

/** The process that would be started: what it runs, with what, where. Hashed, as env may hold secrets. */
function keyOf(server: StdioServerConfig): string {
  const what = JSON.stringify([server.command, server.args ?? [], server.cwd ?? '', Object.entries(server.env ?? {}).sort()]);
  return `${createHash('sha256').update(what).digest('hex').slice(0, 32)}`;
}
