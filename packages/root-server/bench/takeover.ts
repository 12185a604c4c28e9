/**
 * How long a standby takes to lead once the leader lets go, with a warm copy of the tree (read
 * every second while it waits) and without one (the tree loaded from the database on taking over).
 *
 * A throw-away cluster holding a full binary tree of N alive nodes under the root's address; a
 * leader and a standby (`runLeaderOrStandby`, in this process) on it. Once the standby has waited
 * 3 s, the leader is stopped (it closes its root and releases the lock); the figure is the time
 * from then until the standby's root is listening with the tree restored. Medians of ROUNDS.
 *
 *   cd packages/root-server && npx tsx bench/takeover.ts [N…]      (ROUNDS, default 3)
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PostgresCluster } from '@p2p/test-postgres';
import type { RootServer } from '../src/root-server.js';
import { runLeaderOrStandby } from '../src/service/leader-or-standby.js';
import { PostgresStore } from '../src/store/postgres-store.js';

const SIZES = process.argv.slice(2).map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const silent = {
  level: 'silent',
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child() {
    return silent;
  },
} as never;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A database holding a full binary tree of `n` alive nodes under `root`. */
async function treeDatabase(cluster: PostgresCluster, root: string, n: number): Promise<string> {
  const url = await cluster.createDatabase();
  await (await PostgresStore.open(url)).close();
  const address = (i: string) =>
    `'10.' || (${i} >> 16) || '.' || ((${i} >> 8) & 255) || '.' || (${i} & 255) || ':1'`;
  await cluster.query(
    url,
    `INSERT INTO p2p_root_nodes (address, registered_at, parent, alive, last_seen)
     SELECT ${address('i')}, 0,
            CASE WHEN i < 2 THEN '${root}' ELSE ${address('((i - 2) >> 1)')} END, true, 0
       FROM generate_series(0, ${n - 1}) AS i ORDER BY i`,
  );
  return url;
}

async function takeover(url: string, listen: string, followEvery: number): Promise<number> {
  const options = { store: url, listen, http: null, logger: silent };
  const leader = new AbortController();
  const standby = new AbortController();
  let led: (server: RootServer) => void = () => {};
  const leading = new Promise<RootServer>((resolve) => {
    led = resolve;
  });
  const first = runLeaderOrStandby({ ...options, signal: leader.signal, onStarted: led });
  await leading;
  let tookOver: (at: number) => void = () => {};
  const over = new Promise<number>((resolve) => {
    tookOver = resolve;
  });
  const second = runLeaderOrStandby({
    ...options,
    followEvery,
    signal: standby.signal,
    onStarted: () => tookOver(performance.now()),
  });
  await sleep(3_000);
  const start = performance.now();
  leader.abort();
  const ms = (await over) - start;
  standby.abort();
  await Promise.all([first, second]);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const cluster = await PostgresCluster.start();
try {
  const rows: Record<string, Record<string, string>> = {};
  for (const n of SIZES.length > 0 ? SIZES : [10_000, 100_000]) {
    const listen = `127.0.0.1:${await freePort()}`;
    const url = await treeDatabase(cluster, listen, n);
    const cold: number[] = [];
    const warm: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      cold.push(await takeover(url, listen, 0));
      warm.push(await takeover(url, listen, 1_000));
    }
    rows[n.toLocaleString('en')] = {
      'cold (load on takeover) ms': median(cold).toFixed(0),
      'warm copy ms': median(warm).toFixed(0),
    };
  }
  console.log(`takeover, medians of ${ROUNDS} rounds`);
  console.table(rows);
} finally {
  await cluster.stop();
}
