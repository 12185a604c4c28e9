/**
 * How far one root goes (#19): a root restored from a store holding a full binary tree of N
 * registered nodes (SQLite file, or PostgreSQL on a throw-away cluster), then, from a load
 * generator in a child process (load.ts), Reunion hellos for every node over the root's two child
 * connections and Advertise placements from a few dozen nodes re-advertising in a loop. Reports,
 * per size, medians over the rounds: restore time, hellos/s (window 1 = lock-step, and 16),
 * placements/s, the root process's heap and RSS after the load. Reference timings.
 *
 *   pnpm --filter @p2p/bench bench:root-limits 1000 10000 100000
 *   (env ROUNDS, default 3; SECONDS per phase, default 5; NO_POSTGRES=1 to skip PostgreSQL)
 */
import { fork } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PostgresStore, RootServer, SqliteStore, type Store } from '@p2p/root-server';
import { freePort, PostgresCluster, STORE_USER } from '@p2p/test-postgres';
import { wholeNumberOf } from '../args.js';
import type { LoadMessage, LoadRequest, LoadResult } from './load.js';
import { type BenchTree, storedNodes } from './tree.js';

const SIZES = process.argv
  .slice(2)
  .filter((arg) => arg !== '--')
  .map((arg) => wholeNumberOf(arg, 'a size', { min: 1 }));
const ROUNDS = wholeNumberOf(process.env.ROUNDS ?? '3', 'ROUNDS', { min: 1 });
const DURATION_MS = wholeNumberOf(process.env.SECONDS ?? '5', 'SECONDS', { min: 1 }) * 1000;
const ADVERTISERS = 64;
const WINDOWS = [1, 16];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const MB = 1024 * 1024;

interface Round {
  restoreMs: number;
  load?: LoadResult;
  heapMB: number;
  rssMB: number;
  /** The longest the root's event loop was held during the load (a store write, a GC…). */
  stallMs: number;
}

/** Writes the tree into `store` (registrations one by one, as the root does, then positions). */
async function writeTree(store: Store, tree: BenchTree): Promise<number> {
  const start = performance.now();
  const nodes = [...storedNodes(tree, Date.now())];
  for (const node of nodes) await store.register(node.address, node.registeredAt);
  await store.setPositions(nodes);
  await store.close();
  return performance.now() - start;
}

class LoadChild {
  readonly #child = fork(new URL('./load.ts', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  readonly ready: Promise<BenchTree['children']>;
  #pending: ((message: LoadMessage) => void) | undefined;

  constructor() {
    this.ready = new Promise((resolve) => {
      this.#pending = (message) => {
        if (message.kind === 'ready') resolve(message.children);
      };
    });
    this.#child.on('message', (message: LoadMessage) => this.#pending?.(message));
  }

  run(request: LoadRequest): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      this.#pending = (message) => {
        if (message.kind === 'result') resolve(message.result);
        else if (message.kind === 'error') reject(new Error(message.error));
      };
      this.#child.send(request);
    });
  }

  close(): void {
    this.#child.disconnect();
  }
}

/** Starts a root on `store`, optionally runs the load, and measures. */
async function round(
  tree: BenchTree,
  store: string,
  window: number,
  load: LoadChild | undefined,
): Promise<Round> {
  gc();
  const start = performance.now();
  const root = await RootServer.start({
    listen: tree.root,
    http: null,
    store,
    timings: 'reference',
    window,
    maxRegistered: tree.n + ADVERTISERS + 64,
    stream: { maxConnections: ADVERTISERS + 64 },
  });
  const restoreMs = performance.now() - start;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    if (root.node.registry.graph.aliveCount < tree.n)
      throw new Error(`restored ${root.node.registry.graph.aliveCount} of ${tree.n} alive`);
    const result = await load?.run({
      tree,
      durationMs: DURATION_MS,
      outstanding: window === 1 ? 256 : 512,
      advertisers: ADVERTISERS,
    });
    // The tree as stored must have held: no path re-attached, none of its nodes turned off (the
    // advertisers, gone when the load ends, are turned off as unreachable).
    const alive = root.node.registry.graph.aliveCount;
    if (root.node.rootCounters.reattached > 0 || root.node.rootCounters.turnedOff.timeout > 0)
      throw new Error(`the tree changed under load: ${JSON.stringify(root.node.rootCounters)}`);
    if (alive < tree.n) throw new Error(`${tree.n - alive} nodes of the tree turned off`);
    delay.disable();
    gc();
    const memory = process.memoryUsage();
    return {
      stallMs: delay.max / 1e6,
      restoreMs,
      ...(result === undefined ? {} : { load: result }),
      heapMB: memory.heapUsed / MB,
      rssMB: memory.rss / MB,
    };
  } finally {
    await root.close();
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

console.log(
  `Node ${process.version}, load average ${load()}, ${ROUNDS} rounds of ${DURATION_MS} ms`,
);
gc();
const baseline = process.memoryUsage();
console.log(
  `bench process before any root: heap ${fmt(baseline.heapUsed / MB)} MB, RSS ${fmt(baseline.rss / MB)} MB`,
);
const cluster = process.env.NO_POSTGRES ? undefined : await PostgresCluster.start();
const dir = mkdtempSync(join(tmpdir(), 'p2p-root-limits-'));
const loadChild = new LoadChild();
/** Metric → size → figure. */
const rows: Record<string, Record<string, string>> = {};
const put = (metric: string, size: string, figure: string): void => {
  rows[metric] = { ...rows[metric], [size]: figure };
};
try {
  const children = await loadChild.ready;
  for (const n of SIZES) {
    const tree: BenchTree = { root: `127.0.0.1:${await freePort()}`, children, n };
    const file = join(dir, `tree-${n}.db`);
    const sqliteWriteMs = await writeTree(new SqliteStore(file), tree);
    const url = await cluster?.createDatabase();
    const pgWriteMs =
      url === undefined ? Number.NaN : await writeTree(await PostgresStore.open(url), tree);
    const byWindow = new Map<number, Round[]>(WINDOWS.map((w) => [w, []]));
    const pg: Round[] = [];
    // Every round starts from a copy of the stored tree (a round's advertisers stay registered).
    let copies = 0;
    const sqliteCopy = (): string => {
      const copy = join(dir, `copy-${++copies}.db`);
      copyFileSync(file, copy);
      return copy;
    };
    const pgCopy = async (): Promise<string> => {
      const name = `copy_${n}_${++copies}`;
      const template = new URL(url as string).pathname.slice(1);
      await cluster?.admin((client) =>
        client.query(`CREATE DATABASE ${name} TEMPLATE ${template} OWNER ${STORE_USER.name}`),
      );
      return cluster?.url(name) as string;
    };
    for (let r = 0; r < ROUNDS; r++) {
      for (const window of WINDOWS)
        byWindow.get(window)?.push(await round(tree, sqliteCopy(), window, loadChild));
      if (url !== undefined) pg.push(await round(tree, await pgCopy(), 16, loadChild));
    }
    const all = [...byWindow.values()].flat();
    const m = (rounds: Round[], pick: (round: Round) => number, digits = 0) =>
      rounds.length === 0 ? '-' : fmt(median(rounds.map(pick)), digits);
    const lock = byWindow.get(1) as Round[];
    const windowed = byWindow.get(16) as Round[];
    const figures: Record<string, string> = {
      'required hellos/s (N/4)': fmt(n / 4),
      'hellos/s lock-step': m(lock, (r) => r.load?.hellosPerSecond ?? Number.NaN),
      'hellos/s window 16': m(windowed, (r) => r.load?.hellosPerSecond ?? Number.NaN),
      'hellos/s window 16, PostgreSQL': m(pg, (r) => r.load?.hellosPerSecond ?? Number.NaN),
      'mean path': m(all, (r) => r.load?.meanPathLength ?? Number.NaN, 1),
      'placements/s': m(all, (r) => r.load?.placementsPerSecond ?? Number.NaN),
      'placements/s PostgreSQL': m(pg, (r) => r.load?.placementsPerSecond ?? Number.NaN),
      'restore ms SQLite': m(all, (r) => r.restoreMs),
      'restore ms PostgreSQL': m(pg, (r) => r.restoreMs),
      'longest stall ms SQLite': m(all, (r) => r.stallMs),
      'longest stall ms PostgreSQL': m(pg, (r) => r.stallMs),
      'heap MB': m(all, (r) => r.heapMB),
      'RSS MB': m(all, (r) => r.rssMB),
      'write ms SQLite / PostgreSQL': `${fmt(sqliteWriteMs)} / ${fmt(pgWriteMs)}`,
    };
    for (const [metric, figure] of Object.entries(figures)) put(metric, fmt(n), figure);
    console.log(JSON.stringify({ n, ...figures }));
    console.log(`N = ${fmt(n)} done, load average ${load()}`);
  }
  console.table(rows);
} finally {
  loadChild.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
