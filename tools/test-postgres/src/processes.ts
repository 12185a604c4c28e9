/**
 * Finding and stopping every process of a test PostgreSQL cluster by its pid. The postmaster's
 * children make themselves session leaders and outlive a postmaster killed with SIGKILL, so
 * killing the postmaster alone is not enough; every one of them runs in the cluster's data
 * folder, which is how they are found (through /proc, on Linux).
 */
import { readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, sep } from 'node:path';

/** The pids of the processes whose working directory is `dir` or inside it. */
export function processesIn(dir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue; // gone meanwhile, or not ours to see
    }
    if (cwd === dir || cwd.startsWith(dir + sep)) pids.push(Number(entry));
  }
  return pids;
}

/** Kills (SIGKILL, by pid) every process running in `dir`; returns their pids. */
export function killProcessesIn(dir: string): number[] {
  const pids = processesIn(dir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Kills every process running in `dir` and resolves once none is left (at most `timeoutMs`). */
export async function stopProcessesIn(dir: string, timeoutMs = 10_000): Promise<number[]> {
  const pids = killProcessesIn(dir);
  const deadline = Date.now() + timeoutMs;
  // SIGKILL takes effect asynchronously and these are not our children: look until they are gone.
  while (killProcessesIn(dir).length > 0) {
    if (Date.now() > deadline) throw new Error(`processes in ${dir} survived SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return pids;
}

/**
 * The record of a running cluster in a run's registry folder (see vitest-global-setup.ts): a
 * file named after the cluster's folder holding its path, removed once the cluster is stopped.
 */
export const registryRecord = {
  add(registry: string, dir: string): void {
    writeFileSync(join(registry, basename(dir)), dir);
  },
  remove(registry: string, dir: string): void {
    rmSync(join(registry, basename(dir)), { force: true });
  },
};
