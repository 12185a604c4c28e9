/**
 * vitest global setup: a registry folder in which every PostgreSQL cluster the run's tests start
 * is recorded until it is stopped. Vitest ends a test file's worker with SIGTERM, so a cluster
 * its tests did not stop (a start outliving a timed-out hook, a stop that never finished) would
 * keep running after the run; the teardown, in vitest's own process, stops each such cluster by
 * the pids of its processes and fails the run, naming it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopProcessesIn } from './processes.js';

import './provided-context.js';

export default function setup(project: TestProject): () => Promise<void> {
  const registry = mkdtempSync(join(tmpdir(), 'p2p-postgres-run-'));
  project.provide('postgresRegistry', registry);
  return async () => {
    const leftovers: string[] = [];
    for (const record of readdirSync(registry)) {
      const dir = readFileSync(join(registry, record), 'utf8');
      const pids = await stopProcessesIn(dir);
      if (pids.length > 0 || existsSync(dir)) {
        leftovers.push(`${dir} (stopped now: pids ${pids.join(', ') || 'none'})`);
      }
      rmSync(dir, { recursive: true, force: true });
    }
    rmSync(registry, { recursive: true, force: true });
    if (leftovers.length > 0) {
      // A teardown error is only logged by vitest; the exit code is what fails CI.
      process.exitCode = 1;
      throw new Error(
        `PostgreSQL test clusters left running by the tests (a start or stop outlived its hook):\n  ${leftovers.join('\n  ')}`,
      );
    }
  };
}
