import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an executable to its end (bounded), never throwing on a non-zero exit. */
function run(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

const packageDir = (name: string) => fileURLToPath(new URL(`../../${name}/`, import.meta.url));

interface Manifest {
  bin: Record<string, string>;
  files: string[];
}

const manifest = (name: string) =>
  JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as Manifest;

describe('the commands as installed', () => {
  for (const [pkg, command] of [
    ['cli', 'p2p'],
    ['root-server', 'p2p-root'],
  ] as const) {
    it(`${command}: package.json names a committed, published file that starts the command`, async () => {
      const { bin, files } = manifest(pkg);
      const target = bin[command];
      expect(target).toBe(`./bin/${command}.js`);
      expect(files).toContain('bin');
      const { code, stdout } = await run(process.execPath, [
        join(packageDir(pkg), target ?? ''),
        '--help',
      ]);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: ${command}`);
    });
  }

  it('p2p-root is linked for the packages that depend on the root server', async () => {
    const { code, stdout } = await run(join(packageDir('cli'), 'node_modules/.bin/p2p-root'), [
      '--help',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: p2p-root');
  });

  it('before a build, the command says to build first and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2p-unbuilt-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(join(packageDir('cli'), 'bin/p2p.js'), join(dir, 'bin/p2p.js'));
      const { code, stderr } = await run(process.execPath, [join(dir, 'bin/p2p.js'), '--help']);
      expect(code).toBe(1);
      expect(stderr).toContain('p2p: not built yet; run `pnpm run build`');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
