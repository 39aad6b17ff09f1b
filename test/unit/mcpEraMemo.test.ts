/**
 * The era verdict memo (src/tools/mcp/eraMemo.ts) against real processes: the published server-everything (a
 * 2025-era server) and a stdio server that refuses the 2025 handshake. Processes are counted by a preload that
 * appends a line per start, so the era probe's disposable second process shows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EraMemo, LEGACY_VERDICT_MS, type EraStore } from '../../src/tools/mcp/eraMemo';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import type { StdioServerConfig } from '../../src/tools/mcp/mcpResolve';
import { everythingBin, memoryLogger, nodeServer } from '../fakes/mcpServers';

const dir = mkdtempSync(join(tmpdir(), 'mcp-era-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function memoryStore(): EraStore & { verdicts?: Record<string, number> } {
  const store: EraStore & { verdicts?: Record<string, number> } = {
    read: () => store.verdicts,
    write: (v) => (store.verdicts = v),
  };
  return store;
}

function counted(name: string, script: string, args: string[] = []): { config: StdioServerConfig; starts: () => number } {
  const file = join(dir, `${name}.starts`);
  writeFileSync(file, '');
  const config = nodeServer(name, script, [], {
    args: ['--import', join(__dirname, '..', 'fakes', 'startCounter.mjs'), script, ...args],
    env: { START_COUNT_FILE: file },
  });
  return { config, starts: () => readFileSync(file, 'utf8').split('\n').filter(Boolean).length };
}

async function startOnce(config: StdioServerConfig, eras: EraMemo): Promise<{ state: string; tools: number; log: string[] }> {
  const logger = memoryLogger();
  const connections = new McpConnections([config], { logger, eras });
  try {
    await connections.ensureStarted();
    const [status] = connections.status;
    return { state: status.state, tools: status.toolCount, log: logger.lines };
  } finally {
    await connections.dispose();
  }
}

describe('MCP era memo', () => {
  it('probes a 2025-era server once, then starts it without the probe’s second process', async () => {
    const store = memoryStore();
    const eras = new EraMemo(store);
    const server = counted('everything', everythingBin());
    const first = await startOnce(server.config, eras);
    assert.equal(first.state, 'running');
    assert.equal(server.starts(), 2, 'the probe runs in a disposable second process');
    assert.ok(eras.knownLegacy(server.config));

    const second = await startOnce(server.config, eras);
    assert.equal(second.state, 'running');
    assert.equal(second.tools, first.tools);
    assert.equal(server.starts(), 3, 'a known legacy server is started once');
  });

  it('probes again once the verdict is older than a week', async () => {
    let now = Date.now();
    const eras = new EraMemo(memoryStore(), () => now);
    const { config } = counted('aging', everythingBin());
    eras.remember(config, 'legacy');
    now += LEGACY_VERDICT_MS - 1;
    assert.ok(eras.knownLegacy(config));
    now += 1;
    assert.equal(eras.knownLegacy(config), false);
  });

  it('a server that now refuses the 2025 handshake is asked again and works, and the verdict goes', async () => {
    const store = memoryStore();
    const eras = new EraMemo(store);
    const server = counted('modern', join(__dirname, '..', 'fakes', 'modernStdioServer.mjs'));
    eras.remember(server.config, 'legacy');
    const result = await startOnce(server.config, eras);
    assert.equal(result.state, 'running', result.log.join('\n'));
    assert.equal(result.tools, 1);
    assert.equal(eras.knownLegacy(server.config), false);
    assert.ok(result.log.some((l) => /refused the 2025 handshake/.test(l)));
  });

  it('keeps no verdict for a 2026 server, and none for a server whose command or environment differ', async () => {
    const store = memoryStore();
    const eras = new EraMemo(store);
    const modern = counted('modern2', join(__dirname, '..', 'fakes', 'modernStdioServer.mjs'));
    const result = await startOnce(modern.config, eras);
    assert.equal(result.state, 'running', result.log.join('\n'));
    assert.deepEqual(store.verdicts, {});

    const legacy = counted('legacy2', everythingBin());
    eras.remember(legacy.config, 'legacy');
    assert.equal(eras.knownLegacy({ ...legacy.config, env: { ...legacy.config.env, TOKEN: 'other' } }), false);
    assert.equal(eras.knownLegacy({ ...legacy.config, args: [...legacy.config.args, '--flag'] }), false);
    assert.ok(!JSON.stringify(store.verdicts).includes('legacy2'), 'keys are hashed: no command line or secret in globalState');
  });
});
