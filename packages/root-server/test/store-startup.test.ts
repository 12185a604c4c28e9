import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RootProcess } from './root-process.js';

const running: RootProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const root of running.splice(0)) root.kill();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'p2p-store-'));
  dirs.push(dir);
  return dir;
}

function root(db: string): RootProcess {
  const process = new RootProcess(['--listen', '127.0.0.1:0', '--http', 'off', '--db', db]);
  running.push(process);
  return process;
}

describe('p2p-root with a store it cannot use stops at once with a clear error', () => {
  it('a store held by another root: exit 1, ERR_ROOT_STORE_LOCKED, and the first root keeps running', async () => {
    const db = join(tempDir(), 'root.db');
    const first = root(db);
    await first.started;
    const second = root(db);
    expect(await second.exited).toBe(1);
    expect(second.stderr).toContain('ERR_ROOT_STORE_LOCKED');
    expect(first.child.exitCode).toBeNull();
  });

  it('a file that is not a database: exit 1, ERR_ROOT_STORE_CORRUPT, the file untouched', async () => {
    const db = join(tempDir(), 'root.db');
    writeFileSync(db, 'these are not the bytes of a database');
    const process = root(db);
    expect(await process.exited).toBe(1);
    expect(process.stderr).toContain('ERR_ROOT_STORE_CORRUPT');
    expect(process.stderr).toContain('move the file away');
  });

  it('a folder it cannot create the database in: exit 1 with the path', async () => {
    const dir = tempDir();
    const blocked = join(dir, 'not-a-folder');
    writeFileSync(blocked, '');
    chmodSync(blocked, 0o444);
    const process = root(join(blocked, 'root.db'));
    expect(await process.exited).toBe(1);
    expect(process.stderr).toContain(blocked);
  });
});
