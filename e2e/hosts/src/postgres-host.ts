import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BedHost } from './bed.js';

const run = promisify(execFile);

/** What to run where PostgreSQL is missing. */
export const POSTGRES_INSTALL = 'apt-get install -y postgresql';

/** The database and role the roots use. */
const DATABASE = 'p2p_root';
const ROLE = { name: 'p2p', password: 'p2p-bed-password' } as const;
const PORT = 5432;
/** How long the server may take to start. */
const START_MS = 30_000;

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * Finds `initdb` and `postgres`: Debian keeps them in /usr/lib/postgresql/<major>/bin (the newest
 * major wins), elsewhere they are on PATH. (The root-server tests find them the same way.)
 */
export function findPostgres(): Binaries | undefined {
  const debian = '/usr/lib/postgresql';
  const dirs = existsSync(debian)
    ? readdirSync(debian)
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
        .map((major) => join(debian, major, 'bin'))
    : [];
  for (const dir of [...dirs, ...(process.env.PATH ?? '').split(':').filter((d) => d !== '')]) {
    const found = { initdb: join(dir, 'initdb'), postgres: join(dir, 'postgres') };
    if (existsSync(found.initdb) && existsSync(found.postgres)) return found;
  }
  return undefined;
}

/** The `postgres` OS user's ids (PostgreSQL refuses to run as root); undefined when it is missing. */
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: 'pipe' }));
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/** Whether a PostgreSQL server can be run here: `{ ok: true }` or the reason and what to install. */
export function postgresSupport(): { ok: true } | { ok: false; reason: string } {
  if (findPostgres() === undefined)
    return { ok: false, reason: `no PostgreSQL binaries (${POSTGRES_INSTALL})` };
  if (postgresUser() === undefined)
    return {
      ok: false,
      reason: `no 'postgres' OS user to run the server as (${POSTGRES_INSTALL})`,
    };
  return { ok: true };
}

/**
 * A throw-away PostgreSQL server on a host of the bed, listening on that host's address only:
 * `initdb` in a temporary folder, a role and a database for the roots (password over TCP from the
 * bed's range), then `postgres` inside the host's namespace as the `postgres` user. `stop()` shuts
 * it down by its pid and removes the folder; so does the process's exit, and the bed's sweep kills
 * whatever runs in the namespace.
 */
export class PostgresHost {
  readonly host: BedHost;
  /** The URL the roots connect to: `postgres://p2p:…@HOST:5432/p2p_root`. */
  readonly url: string;
  readonly #dir: string;
  readonly #server: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #onExit = () => {
    this.#server.kill('SIGKILL');
    rmSync(this.#dir, { recursive: true, force: true });
  };

  private constructor(host: BedHost, dir: string, server: ChildProcess, exited: Promise<void>) {
    this.host = host;
    this.#dir = dir;
    this.#server = server;
    this.#exited = exited;
    this.url = `postgres://${ROLE.name}:${ROLE.password}@${host.address}:${PORT}/${DATABASE}`;
    process.once('exit', this.#onExit);
  }

  /** The server's pid (the postmaster: `ip netns exec` and `setpriv` exec it in their place). */
  get pid(): number {
    return this.#server.pid ?? -1;
  }

  static async start(host: BedHost): Promise<PostgresHost> {
    const binaries = findPostgres();
    const user = postgresUser();
    if (binaries === undefined || user === undefined)
      throw new Error(`cannot run PostgreSQL here: ${POSTGRES_INSTALL}`);
    const dir = mkdtempSync(join(tmpdir(), 'p2pt-pg-'));
    let server: ChildProcess | undefined;
    try {
      chownSync(dir, user.uid, user.gid);
      const data = join(dir, 'data');
      await run(
        binaries.initdb,
        ['-D', data, '-U', 'postgres', '--auth-local', 'trust', '--auth-host', 'scram-sha-256'],
        { cwd: dir, ...user, env: { ...process.env, LC_ALL: 'C' }, timeout: START_MS },
      );
      appendFileSync(
        join(data, 'pg_hba.conf'),
        `host ${DATABASE} ${ROLE.name} 10.213.0.0/16 scram-sha-256\n`,
      );
      // Single-user mode, before the server listens: each line is a statement of its own.
      const setup = await new Promise<string>((resolve, reject) => {
        const child = execFile(
          binaries.postgres,
          ['--single', '-D', data, '-c', 'fsync=off', 'postgres'],
          { cwd: dir, ...user, timeout: START_MS },
          (error, stdout, stderr) => (error ? reject(error) : resolve(stdout + stderr)),
        );
        child.stdin?.end(
          `CREATE ROLE ${ROLE.name} LOGIN PASSWORD '${ROLE.password}'\n` +
            `CREATE DATABASE ${DATABASE} OWNER ${ROLE.name}\n`,
        );
      });
      if (/ERROR/.test(setup)) throw new Error(`creating the role and database failed: ${setup}`);
      server = spawn(
        'ip',
        [
          'netns',
          'exec',
          host.namespace,
          'setpriv',
          `--reuid=${user.uid}`,
          `--regid=${user.gid}`,
          '--clear-groups',
          binaries.postgres,
          '-D',
          data,
          '-p',
          String(PORT),
          '-k',
          dir,
          '-c',
          `listen_addresses=${host.address}`,
          '-c',
          'fsync=off',
          '-c',
          'shared_buffers=16MB',
        ],
        { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const exited = new Promise<void>((resolve) => server?.once('exit', () => resolve()));
      await ready(server);
      return new PostgresHost(host, dir, server, exited);
    } catch (error) {
      server?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Fast shutdown by pid (SIGKILL after 15 s), then the folder goes. Idempotent. */
  async stop(): Promise<void> {
    if (this.#server.exitCode === null && this.#server.signalCode === null) {
      this.#server.kill('SIGINT');
      const timer = setTimeout(() => this.#server.kill('SIGKILL'), 15_000);
      await this.#exited;
      clearTimeout(timer);
    }
    process.off('exit', this.#onExit);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** Resolves once the server says it accepts connections; rejects if it exits or takes too long. */
function ready(server: ChildProcess): Promise<void> {
  let log = '';
  server.stderr?.setEncoding('utf8');
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`PostgreSQL did not start within ${START_MS} ms:\n${log}`)),
      START_MS,
    );
    const onData = (chunk: string) => {
      log = (log + chunk).slice(-20_000);
      if (!log.includes('ready to accept connections')) return;
      clearTimeout(timer);
      server.off('exit', onExit);
      resolve();
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited with ${code} at start:\n${log}`));
    };
    server.stderr?.on('data', onData);
    server.once('exit', onExit);
  });
}
