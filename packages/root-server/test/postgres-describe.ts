import { findPostgres, POSTGRES_INSTALL, PostgresCluster } from '@p2p/test-postgres';
import { afterAll, beforeAll, describe, inject } from 'vitest';

/**
 * Why the PostgreSQL tests cannot run here, or undefined when they can. Under CI a missing
 * PostgreSQL is a failure (`.ci/run` installs it), so there this returns undefined and
 * {@link startPostgres} throws.
 */
export function postgresSkipReason(): string | undefined {
  if (findPostgres() !== undefined || process.env.CI) return undefined;
  return `no PostgreSQL binaries (initdb, postgres) found; install them: ${POSTGRES_INSTALL}`;
}

/**
 * `describe` for tests that need PostgreSQL: starts a cluster before them and stops it after;
 * where no PostgreSQL is installed (and not under CI) they are reported skipped, with the reason
 * and the install command in their name.
 */
export function describePostgres(name: string, body: (cluster: () => PostgresCluster) => void) {
  const reason = postgresSkipReason();
  if (reason !== undefined) {
    console.warn(`${name}: skipped, ${reason}`);
    describe.skip(`${name} (skipped: ${reason})`, () => body(() => unreachableCluster()));
    return;
  }
  describe(name, () => {
    let starting: Promise<PostgresCluster> | undefined;
    let cluster: PostgresCluster | undefined;
    beforeAll(async () => {
      starting = PostgresCluster.start({ registry: inject('postgresRegistry') });
      cluster = await starting;
    });
    afterAll(async () => {
      // A start that outlived beforeAll's timeout still ends in a running cluster: wait for it.
      const started = await starting?.catch(() => undefined);
      await started?.stop();
    });
    body(() => cluster ?? unreachableCluster());
  });
}

function unreachableCluster(): never {
  throw new Error('the PostgreSQL cluster is not running');
}
