/** Where the PostgreSQL test servers' binaries are, and which OS user runs them. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** What to run where PostgreSQL is missing. */
export const POSTGRES_INSTALL = 'apt-get install -y postgresql';

export interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * Finds `initdb` and `postgres`: Debian keeps them out of PATH in /usr/lib/postgresql/<major>/bin
 * (the newest major wins); elsewhere they are on PATH next to each other.
 */
export function findPostgres(): Binaries | undefined {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const bin = join(debian, major, 'bin');
      const found = { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') };
      if (existsSync(found.initdb) && existsSync(found.postgres)) return found;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    const found = { initdb: join(dir, 'initdb'), postgres: join(dir, 'postgres') };
    if (existsSync(found.initdb) && existsSync(found.postgres)) return found;
  }
  return undefined;
}

/** The uid and gid to run the server as: the `postgres` user when we are root, else ourselves. */
export function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch (error) {
    throw new Error(
      `running as root, PostgreSQL must run as the 'postgres' user, which does not exist: ${POSTGRES_INSTALL} creates it`,
      { cause: error },
    );
  }
}
