/**
 * A throw-away PostgreSQL cluster for tests: `initdb` in a temporary folder, `postgres` on a free
 * loopback port with its unix socket in that folder, stopped by its pid and removed at the end.
 * Running as root (CI), both run as the `postgres` OS user, which owns the folder.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Binaries, findPostgres, POSTGRES_INSTALL, serverUser } from './binaries.js';
import { killProcessesIn, registryRecord, stopProcessesIn } from './processes.js';

/** The role the stores connect as, with a password (over TCP, scram-sha-256). */
export const STORE_USER = { name: 'p2p', password: 'p2p-test-password' } as const;

/** A loopback port free a moment ago (another process may take it first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class PostgresCluster {
  readonly dir: string;
  readonly port: number;
  readonly #launch: () => Promise<Server>;
  readonly #registry: string | undefined;
  #server: ChildProcess;
  #exited: Promise<void>;
  #databases = 0;
  #frozen: number[] = [];

  /**
   * Kills the server and its backends if the test process exits without stopping it (a crash, a
   * bail-out). A worker that vitest ends with SIGTERM never gets here: the run's global teardown
   * (vitest-global-setup.ts) stops those from the registry.
   */
  readonly #killOnExit = () => {
    this.#server.kill('SIGKILL');
    killProcessesIn(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  };

  private constructor(
    dir: string,
    port: number,
    server: Server,
    launch: () => Promise<Server>,
    registry: string | undefined,
  ) {
    this.dir = dir;
    this.port = port;
    this.#server = server.process;
    this.#exited = server.exited;
    this.#launch = launch;
    this.#registry = registry;
    process.once('exit', this.#killOnExit);
  }

  /** The server's pid. */
  get pid(): number {
    return this.#server.pid as number;
  }

  /**
   * Initialises a cluster in a new temporary folder and starts it. Without `durable` it skips
   * fsync (a throw-away cluster on a shared machine); measurements pass true. With `registry` (a
   * folder) it records the cluster there until {@link stop}, for a check at the end of the run.
   */
  static async start(
    options: { durable?: boolean; registry?: string } = {},
  ): Promise<PostgresCluster> {
    const binaries = findPostgres();
    if (binaries === undefined) {
      throw new Error(`PostgreSQL binaries not found: ${POSTGRES_INSTALL}`);
    }
    const user = serverUser();
    const dir = mkdtempSync(join(tmpdir(), 'p2p-pg-'));
    if (options.registry !== undefined) registryRecord.add(options.registry, dir);
    try {
      if (user !== undefined) chownSync(dir, user.uid, user.gid);
      execFileSync(
        binaries.initdb,
        [
          '--pgdata',
          join(dir, 'data'),
          '--username',
          'postgres',
          '--auth-local',
          'trust',
          '--auth-host',
          'scram-sha-256',
          '--encoding',
          'UTF8',
          '--locale',
          'C',
          '--no-sync',
        ],
        { stdio: 'pipe', cwd: dir, ...user },
      );
      // The port was free a moment ago; another process may take it first, so try again.
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const launch = () => launchServer(binaries, dir, port, user, options.durable === true);
        let cluster: PostgresCluster;
        try {
          cluster = new PostgresCluster(dir, port, await launch(), launch, options.registry);
        } catch (error) {
          if (attempt >= 5 || !/could not bind|already in use/i.test(String(error))) throw error;
          continue;
        }
        try {
          await cluster.#createStoreUser();
        } catch (error) {
          await cluster.stop();
          throw error;
        }
        return cluster;
      }
    } catch (error) {
      await stopProcessesIn(dir);
      rmSync(dir, { recursive: true, force: true });
      if (options.registry !== undefined) registryRecord.remove(options.registry, dir);
      throw error;
    }
  }

  /** Stops the server (fast shutdown, by pid), keeping its data; {@link resume} starts it again. */
  async pause(): Promise<void> {
    if (this.#server.exitCode === null && this.#server.signalCode === null) {
      this.#server.kill('SIGINT');
      // Killing the postmaster alone would leave its backends running: kill every one of them.
      const timer = setTimeout(() => killProcessesIn(this.dir), 15_000);
      await this.#exited;
      clearTimeout(timer);
    }
  }

  /**
   * Freezes the server and every backend (SIGSTOP, by pid): connections stay open and nothing
   * answers, as with a database host lost behind a network partition. {@link thaw} undoes it.
   */
  freeze(): void {
    const pids = [this.pid];
    for (let i = 0; i < pids.length; i++) {
      const children = spawnSync('pgrep', ['-P', String(pids[i])], { encoding: 'utf8' });
      pids.push(
        ...children.stdout
          .split('\n')
          .filter((line) => line !== '')
          .map(Number),
      );
    }
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    this.#frozen = pids;
  }

  /** Lets a frozen server run on. */
  thaw(): void {
    for (const pid of this.#frozen.splice(0)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone meanwhile
      }
    }
  }

  /** Starts the server again on its data and port after {@link pause}. */
  async resume(): Promise<void> {
    const server = await this.#launch();
    this.#server = server.process;
    this.#exited = server.exited;
  }

  /** A superuser connection over the unix socket (trust). */
  async admin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({
      host: this.dir,
      port: this.port,
      user: 'postgres',
      database: 'postgres',
    });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  }

  async #createStoreUser(): Promise<void> {
    await this.admin((client) =>
      client.query(`CREATE ROLE ${STORE_USER.name} LOGIN PASSWORD '${STORE_USER.password}'`),
    );
  }

  /** The URL of `database` as the stores use it: TCP, the store user and its password. */
  url(database: string, password: string = STORE_USER.password): string {
    return `postgres://${STORE_USER.name}:${password}@127.0.0.1:${this.port}/${database}`;
  }

  /** Creates a fresh database owned by the store user and returns its URL. */
  async createDatabase(): Promise<string> {
    const name = `p2p_${++this.#databases}`;
    await this.admin((client) => client.query(`CREATE DATABASE ${name} OWNER ${STORE_USER.name}`));
    return this.url(name);
  }

  /** Runs one statement in `database` as the store user. */
  async query(url: string, sql: string): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  }

  /** Stops the server (fast shutdown, by pid) and every process it left, and removes the folder. */
  async stop(): Promise<void> {
    this.thaw();
    await this.pause();
    await stopProcessesIn(this.dir);
    process.off('exit', this.#killOnExit);
    rmSync(this.dir, { recursive: true, force: true });
    if (this.#registry !== undefined) registryRecord.remove(this.#registry, this.dir);
  }
}

interface Server {
  process: ChildProcess;
  exited: Promise<void>;
}

/** Starts `postgres` on the cluster in `dir` and resolves once it accepts connections. */
async function launchServer(
  binaries: Binaries,
  dir: string,
  port: number,
  user: { uid: number; gid: number } | undefined,
  durable: boolean,
): Promise<Server> {
  const server = spawn(
    binaries.postgres,
    [
      '-D',
      join(dir, 'data'),
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `fsync=${durable ? 'on' : 'off'}`,
      '-c',
      'shared_buffers=16MB',
      '-c',
      'max_connections=40',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...user },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  let log = '';
  server.stderr?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      killProcessesIn(dir);
      reject(new Error(`PostgreSQL did not start within 30 s:\n${log}`));
    }, 30_000);
    server.stderr?.on('data', (chunk: string) => {
      log += chunk;
      if (log.includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited with ${code} at start:\n${log}`));
    });
  });
  server.stderr?.resume();
  return { process: server, exited };
}
