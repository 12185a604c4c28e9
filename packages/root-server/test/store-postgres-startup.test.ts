import { STORE_USER } from '@p2p/test-postgres';
import { afterEach, expect, it } from 'vitest';
import { PostgresStore } from '../src/store/postgres-store.js';
import { PeerProcess } from './peer-process.js';
import { describePostgres } from './postgres-describe.js';
import { RootProcess } from './root-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * `p2p-root` on `db`, given as P2P_DB (as an operator keeps a password out of `ps`), or as
 * `--db` when `flag` is set.
 */
function rootOn(
  db: string,
  listen = '127.0.0.1:0',
  extra: string[] = [],
  flag = false,
): RootProcess {
  const args = ['--listen', listen, '--http', '127.0.0.1:0', ...extra];
  const process = flag
    ? new RootProcess([...args, '--db', db])
    : new RootProcess(args, { P2P_DB: db });
  cleanups.push(async () => {
    process.kill();
    await process.exited;
  });
  return process;
}

/** Waits for exit 1 and returns standard error, checked for the code and no password. */
async function fails(process: RootProcess, code: string): Promise<string> {
  expect(await process.exited).toBe(1);
  expect(process.stderr).toContain(code);
  expect(process.stderr).not.toContain(STORE_USER.password);
  return process.stderr;
}

describePostgres('p2p-root on PostgreSQL', (cluster) => {
  it('a server nobody listens on: exit 1, ERR_ROOT_STORE_UNREACHABLE, what to do', async () => {
    const url = cluster().url('p2p').replace(`:${cluster().port}/`, ':1/');
    const stderr = await fails(rootOn(url), 'ERR_ROOT_STORE_UNREACHABLE');
    expect(stderr).toContain('check that PostgreSQL runs');
  });

  it('bad credentials: exit 1, ERR_ROOT_STORE_AUTH, the password never printed', async () => {
    const url = await cluster().createDatabase();
    const stderr = await fails(
      rootOn(url.replace(STORE_USER.password, 'wrong-password')),
      'ERR_ROOT_STORE_AUTH',
    );
    expect(stderr).toContain('check the user and password');
    expect(stderr).not.toContain('wrong-password');
  });

  it("another program's database: exit 1, ERR_ROOT_STORE_CORRUPT, left untouched", async () => {
    const url = await cluster().createDatabase();
    await cluster().query(url, 'CREATE TABLE invoices (id int)');
    const stderr = await fails(rootOn(url, '127.0.0.1:0', [], true), 'ERR_ROOT_STORE_CORRUPT');
    expect(stderr).toContain('left untouched');
  });

  it('a schema newer than this version: exit 1, ERR_ROOT_STORE_VERSION, upgrade', async () => {
    const url = await cluster().createDatabase();
    await (await PostgresStore.open(url)).close();
    await cluster().query(
      url,
      "INSERT INTO p2p_root_migrations (version, description) VALUES (99, 'from the future')",
    );
    const stderr = await fails(rootOn(url), 'ERR_ROOT_STORE_VERSION');
    expect(stderr).toContain('upgrade @p2p/root-server');
  });

  it('a second root on the same database: exit 1, ERR_ROOT_STORE_LOCKED; the first keeps running', async () => {
    const url = await cluster().createDatabase();
    const first = rootOn(url);
    await first.started;
    await fails(rootOn(url), 'ERR_ROOT_STORE_LOCKED');
    expect(first.child.exitCode).toBeNull();
  });

  it('a root SIGKILLed and started again on its database has every registration and the tree', async () => {
    const url = await cluster().createDatabase();
    const timings = { helloInterval: 200, peerTimeout: 3_000, rootTimeout: 2_800 };
    const flags = ['--hello-interval', '200', '--root-timeout', '2800'];
    const first = rootOn(url, '127.0.0.1:0', flags);
    const { address } = await first.started;
    const peers: PeerProcess[] = [];
    for (let i = 0; i < 4; i++) {
      const peer = new PeerProcess(address, timings);
      cleanups.push(async () => {
        peer.kill();
        await peer.exited;
      });
      peers.push(peer);
      await peer.until('a parent', () => peer.parent !== null);
    }
    const shape = (nodes: Array<{ address: string; parent: string | null }>) =>
      nodes
        .map(({ address, parent }) => ({ address, parent }))
        .sort((a, b) => a.address.localeCompare(b.address));
    const before = shape((await first.topology()).nodes);
    expect(before).toEqual(
      shape(peers.map((peer) => ({ address: peer.address, parent: peer.parent }))),
    );

    first.kill('SIGKILL');
    await first.exited;
    const second = rootOn(url, address, flags);
    await second.started;
    const after = await second.topology();
    expect(shape(after.nodes)).toEqual(before);
    expect(after.nodes).toHaveLength(peers.length);
    expect(after.nodes.every((node) => node.alive)).toBe(true);
  });
});
