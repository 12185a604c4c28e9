/**
 * What the global setup (vitest-global-setup.ts) provides to the tests: `inject('postgresRegistry')`
 * is the folder where the run's clusters are recorded, to pass to `PostgresCluster.start`.
 */
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder where the run's PostgreSQL clusters are recorded while they run. */
    postgresRegistry: string;
  }
}
