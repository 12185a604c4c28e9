import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../../..', import.meta.url));
const prefix = mkdtempSync(join(tmpdir(), 'p2p-path-'));
afterAll(() => rmSync(prefix, { recursive: true, force: true }));

const HELLO = '31303430303030353132372e3030302e3030302e303031303533353368656c6c6f';

describe("the README's way to put p2p and p2p-root on the PATH", () => {
  it('npm install -g of the two packages gives commands whose JSON output scripts can parse', {
    timeout: 120_000,
  }, () => {
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', prefix, './packages/cli', './packages/root-server'],
      { cwd: repository, stdio: 'pipe' },
    );
    const decoded = spawnSync(join(prefix, 'bin', 'p2p'), ['decode', HELLO], { encoding: 'utf8' });
    expect(decoded.status).toBe(0);
    expect(
      decoded.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).text),
    ).toEqual(['hello']);
    const help = spawnSync(join(prefix, 'bin', 'p2p-root'), ['--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--forget-after');
  });
});
