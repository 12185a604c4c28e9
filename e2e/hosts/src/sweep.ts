import { ip, ipSync, namespaceNames } from './ip.js';

/** What a sweep found and removed. */
export interface SweepReport {
  namespaces: string[];
  /** Processes still running inside those namespaces, killed before the namespace went. */
  processes: number[];
}

/** Every run names its namespaces `p2pt-<pid>-<random>-…`, the pid being the process that made them. */
export const NAME_PREFIX = 'p2pt-';

/** A fresh run prefix: this process's pid and a random part, so concurrent runs never collide. */
export function runPrefix(): string {
  return `${NAME_PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
}

function pidsIn(listing: string): number[] {
  return listing
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * Removes every namespace whose name starts with `prefix`, killing what still runs inside first
 * (deleting a namespace removes its links: the veth ends and the bridge).
 */
export async function sweep(prefix: string): Promise<SweepReport> {
  const names = namespaceNames(await ip('netns', 'list')).filter((n) => n.startsWith(prefix));
  const report: SweepReport = { namespaces: names, processes: [] };
  for (const name of names) {
    const pids = pidsIn(await ip('netns', 'pids', name).catch(() => ''));
    killAll(pids);
    report.processes.push(...pids);
  }
  for (const name of names) await ip('netns', 'del', name).catch(() => {});
  return report;
}

/** The same, synchronously, for exit and signal handlers. Never throws. */
export function sweepSync(prefix: string): SweepReport {
  const report: SweepReport = { namespaces: [], processes: [] };
  try {
    report.namespaces = namespaceNames(ipSync('netns', 'list')).filter((n) => n.startsWith(prefix));
    for (const name of report.namespaces) {
      let pids: number[] = [];
      try {
        pids = pidsIn(ipSync('netns', 'pids', name));
      } catch {
        // The namespace went meanwhile.
      }
      killAll(pids);
      report.processes.push(...pids);
    }
    for (const name of report.namespaces) {
      try {
        ipSync('netns', 'del', name);
      } catch {
        // The namespace went meanwhile.
      }
    }
  } catch {
    // No `ip`, or no namespaces to list: nothing of ours can be left.
  }
  return report;
}

/**
 * Removes what earlier runs left behind when they were killed outright (SIGKILL gives no chance to
 * clean up): namespaces of this naming scheme whose creating process no longer exists.
 */
export async function sweepAbandoned(): Promise<SweepReport> {
  const names = namespaceNames(await ip('netns', 'list'));
  const dead = new Set<string>();
  for (const name of names) {
    const match = /^p2pt-(\d+)-[a-z0-9]+-/.exec(name);
    if (match !== null && !alive(Number(match[1]))) dead.add(match[0]);
  }
  const report: SweepReport = { namespaces: [], processes: [] };
  for (const prefix of dead) {
    const swept = await sweep(prefix);
    report.namespaces.push(...swept.namespaces);
    report.processes.push(...swept.processes);
  }
  return report;
}
