import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** The soft limit on open files of this process (Linux), or 'unknown'. */
export function fdLimit(): string {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return line?.split(/\s{2,}/)[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The commit the packages were built from, and whether they had uncommitted changes. */
export function sourceState(): { commit: string; uncommitted: string[] } {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trimEnd();
    const uncommitted = git('status', '--porcelain', '--', '../packages')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.slice(3));
    return { commit: git('rev-parse', '--short', 'HEAD'), uncommitted };
  } catch {
    return { commit: 'unknown', uncommitted: [] };
  }
}

/** What the figures came from. */
export function machine() {
  return {
    ...sourceState(),
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadBefore: os.loadavg(),
    loadAfter: [] as number[],
    fdLimit: fdLimit(),
  };
}

/** File descriptors this process has open now (Linux), or NaN. */
export function openFiles(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return Number.NaN;
  }
}

/** Open files a network of `size` peers needs in one process, roughly (both ends of each socket). */
export function filesNeeded(size: number): number {
  // Per peer: its server, its connection to the root (both ends), the root's connection back
  // (both ends), its connection to its parent and its parent's back (both ends): about 9.
  return 9 * size + 64;
}
