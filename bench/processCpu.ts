/**
 * CPU time of every process and thread on the machine, read from /proc (Linux), grouped by what it is: the
 * renderer's and the GPU process's threads by name (the renderer's main thread as `main`), the browser process,
 * code-server's server, the extension host, the benchmark itself (Playwright and the fake model server), the
 * hog, everything else, and the hypervisor's steal. Two snapshots around an answer say who used the cores
 * meanwhile: with two cores and one busy, the page's thread waits on whatever else runs, so what the host side
 * spends counts against the page's long tasks too, and steal shows a neighbour's load that is no one's here.
 */
import { readdirSync, readFileSync } from 'node:fs';

export type CpuSnapshot = Map<string, number>;

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** The busy core's script (`node -e HOG`), known by its command line. */
export const HOG = 'for (;;) {}';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process or thread ended between listing and reading
  }
}

/** utime + stime, in ms, from a /proc stat line (the name in parentheses may hold spaces). */
function cpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function groupOf(pid: number, cmdline: string): string {
  if (pid === process.pid) return 'bench (Playwright and fake server)';
  if (cmdline.includes(HOG)) return 'hog';
  if (/chrom/i.test(cmdline)) {
    const type = /--type=([\w-]+)/.exec(cmdline)?.[1];
    return type ? `chromium ${type}` : 'chromium browser';
  }
  if (cmdline.includes('extensionHost')) return 'extension host';
  if (cmdline.includes('code-server')) return 'code-server';
  return 'other';
}

/** Per group, the CPU ms used since boot; the renderer's and the GPU process's by thread. */
export function cpuSnapshot(): CpuSnapshot {
  const snap: CpuSnapshot = new Map();
  const add = (key: string, ms: number) => snap.set(key, (snap.get(key) ?? 0) + ms);
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const cmdline = read(`/proc/${pid}/cmdline`)?.replace(/\0/g, ' ') ?? '';
    const group = groupOf(pid, cmdline);
    if (group !== 'chromium renderer' && group !== 'chromium gpu-process') {
      const stat = read(`/proc/${pid}/stat`);
      if (stat) add(group, cpuMs(stat));
      continue;
    }
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const stat = read(`/proc/${pid}/task/${tid}/stat`);
      const comm = read(`/proc/${pid}/task/${tid}/comm`)?.trim() ?? '';
      if (!stat) continue;
      // The main thread is the process's own; the others by name (Compositor, CompositorTileW: raster, ...).
      const thread = tid === name ? 'main' : comm.replace(/\d+$/, '') || 'unnamed';
      add(`${group.replace('chromium ', '')} ${thread}`, cpuMs(stat));
    }
  }
  // Time the virtual machine's CPUs were runnable but the host ran something else (`steal`, all CPUs).
  const steal = Number(read('/proc/stat')?.split('\n')[0].trim().split(/\s+/)[8] ?? 0);
  add('stolen by the hypervisor', steal * TICK_MS);
  return snap;
}

/** CPU ms per group between two snapshots, largest first; groups that used under 10 ms are left out. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const used = [...after].map(([key, ms]) => [key, ms - (before.get(key) ?? 0)] as const);
  return Object.fromEntries(used.filter(([, ms]) => ms >= TICK_MS).sort((a, b) => b[1] - a[1]));
}
