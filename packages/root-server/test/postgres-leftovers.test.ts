import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processesIn } from '@p2p/test-postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresSkipReason } from './postgres-describe.js';

const fixture = fileURLToPath(new URL('fixtures/postgres-leak/', import.meta.url));
const vitestBin = join(
  dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs',
);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the fixture's vitest with its own TMPDIR; resolves with its exit code and output. */
function runFixture(tmp: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vitestBin, 'run', '--root', fixture], {
      env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

const reason = postgresSkipReason();
describe.skipIf(reason !== undefined)(
  `a PostgreSQL cluster a test leaves running${reason === undefined ? '' : ` (skipped: ${reason})`}`,
  () => {
    it('is stopped at the end of the run, by its pids, and fails the run naming it', async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'p2p-leak-run-'));
      dirs.push(tmp);
      chmodSync(tmp, 0o755); // the server may run as the `postgres` user (see @p2p/test-postgres)

      const { code, output } = await runFixture(tmp);

      expect(output).toContain('1 passed');
      expect(output).toContain('PostgreSQL test clusters left running by the tests');
      expect(code).toBe(1);
      // Nothing of the cluster is left: no process runs in the folder, and the folder is gone.
      expect(processesIn(tmp)).toEqual([]);
      expect(readdirSync(tmp)).toEqual([]);
    }, 120_000);
  },
);
