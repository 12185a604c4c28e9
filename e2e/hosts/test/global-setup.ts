import type { TestProject } from 'vitest/node';
import { runPrefix, sweep, sweepSync } from '../src/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The namespace prefix of this run; each test file adds a letter of its own. */
    runPrefix: string;
  }
}

/**
 * One prefix for the whole run, chosen here in vitest's own process, so that this process can
 * remove what the test processes leave if they are killed (vitest stopping on Ctrl-C, a crash):
 * at the end of the run and, failing that, when this process exits.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const prefix = runPrefix();
  project.provide('runPrefix', prefix);
  const onExit = () => {
    sweepSync(prefix);
  };
  process.once('exit', onExit);
  return async () => {
    process.off('exit', onExit);
    const left = await sweep(prefix);
    // The test files check their own beds; this catches what a killed or broken one left.
    // (vitest reports an error thrown here but still exits 0: set the exit code as well.)
    if (left.namespaces.length > 0 || left.processes.length > 0) {
      process.exitCode = 1;
      throw new Error(
        `the run left namespaces ${left.namespaces.join(', ')} and ${left.processes.length} processes in them (removed now)`,
      );
    }
  };
}
