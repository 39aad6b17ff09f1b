/** Where the MCP servers the tests run live, and small helpers around them. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../../src/shared/log';
import type { StdioServerConfig } from '../../src/tools/mcp/mcpResolve';
export { freePort } from './ports';

/** A published server's entry script, from its package.json "bin" (run with process.execPath, no npx). */
export function binOf(pkg: string): string {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string | Record<string, string> };
  return join(dirname(manifest), typeof bin === 'string' ? bin : Object.values(bin)[0]);
}

export const everythingBin = () => binOf('@modelcontextprotocol/server-everything');
export const filesystemBin = () => binOf('@modelcontextprotocol/server-filesystem');
export const fakeServerScript = join(__dirname, 'fakeMcpServer.mjs');

export function nodeServer(name: string, script: string, args: string[] = [], extra: Partial<StdioServerConfig> = {}): StdioServerConfig {
  return { name, source: 'settings', type: 'stdio', command: process.execPath, args: [script, ...args], env: {}, ...extra };
}

export interface MemoryLogger extends Logger {
  lines: string[];
}

/** Collects log lines; set MCP_TEST_LOG=1 to see them as they come. */
export function memoryLogger(): MemoryLogger {
  const lines: string[] = [];
  const put = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
    if (process.env.MCP_TEST_LOG) console.log(`${level} ${message}`);
  };
  return { lines, info: put('info'), warn: put('warn'), error: put('error') };
}

/** Resolves when `check` holds, polling; rejects after `ms`. */
export async function waitFor(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
