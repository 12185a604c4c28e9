/**
 * How long a root on PostgreSQL stops answering while its database is out, the event loop
 * being held by store calls that wait for the database (synchronously, bounded by 5 s each).
 *
 * A `p2p-root` process on a throw-away cluster, with PEERS peers in this process (TIMINGS fast,
 * the default: a hello every 250 ms; or reference: every 4 s). Its admin HTTP (`/healthz`, the same
 * event loop as Register, Advertise and hellos) is probed every 20 ms; the longest gap between
 * two answers is the longest time the root answered nothing. Two outages of OUTAGE_MS each:
 * the server stopped (connections refused) and the server frozen (SIGSTOP: a host that no longer
 * answers, as in a network partition).
 *
 *   cd packages/root-server && npx tsx bench/store-outage.ts      (TIMINGS=reference, PEERS, OUTAGE_MS)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Peer } from '@p2p/peer';
import { PostgresCluster } from '@p2p/test-postgres';
import { RootProcess } from '../test/root-process.js';

const PEERS = Number(process.env.PEERS ?? 8);
const OUTAGE_MS = Number(process.env.OUTAGE_MS ?? 20_000);
const TIMINGS = process.env.TIMINGS === 'reference' ? 'reference' : 'fast';

interface Window {
  longestGapMs: number;
  unansweredMs: number;
  helloFailures: number;
  slowestHelloMs: number;
}

async function probe(http: string, peers: Peer[], ms: number): Promise<Window> {
  let helloFailures = 0;
  let slowestHelloMs = 0;
  const onFailure = () => helloFailures++;
  const onHello = ({ roundTripMs }: { roundTripMs: number }) => {
    slowestHelloMs = Math.max(slowestHelloMs, roundTripMs);
  };
  for (const peer of peers) {
    peer.on('reunion-failure', onFailure);
    peer.on('hello-answered', onHello);
  }
  const end = performance.now() + ms;
  let last = performance.now();
  let longestGapMs = 0;
  let unansweredMs = 0;
  while (performance.now() < end) {
    const sent = performance.now();
    try {
      await fetch(`http://${http}/healthz`, { signal: AbortSignal.timeout(30_000) });
    } catch {}
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    if (now - sent > 100) unansweredMs += now - sent;
    last = now;
    await sleep(20);
  }
  for (const peer of peers) {
    peer.off('reunion-failure', onFailure);
    peer.off('hello-answered', onHello);
  }
  return { longestGapMs, unansweredMs, helloFailures, slowestHelloMs };
}

const cluster = await PostgresCluster.start();
const url = await cluster.createDatabase();
const root = new RootProcess(
  ['--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--timings', TIMINGS],
  { P2P_DB: url, P2P_LOG_FORMAT: 'json' },
);
root.child.stderr.on('data', () => {});
const peers: Peer[] = [];
try {
  const { address, http } = await root.started;
  for (let i = 0; i < PEERS; i++) {
    const peer = await Peer.start({ listen: '127.0.0.1:0', root: address, timings: TIMINGS });
    peers.push(peer);
    await peer.joined();
  }
  const rows: Record<string, Window> = {};
  rows['database up'] = await probe(http, peers, 5_000);

  const stopped = cluster.pause();
  rows['server stopped (refused)'] = await probe(http, peers, OUTAGE_MS);
  await stopped;
  await cluster.resume();
  rows['after restart'] = await probe(http, peers, 10_000);

  cluster.freeze();
  try {
    rows['server frozen (no answer)'] = await probe(http, peers, OUTAGE_MS);
  } finally {
    cluster.thaw();
  }
  rows['after thaw'] = await probe(http, peers, 10_000);

  console.log(
    `p2p-root on PostgreSQL, ${PEERS} peers (${TIMINGS} timings), outages of ${OUTAGE_MS} ms`,
  );
  console.table(
    Object.fromEntries(
      Object.entries(rows).map(([name, w]) => [
        name,
        {
          'longest silence (ms)': Math.round(w.longestGapMs),
          'time unanswered (ms)': Math.round(w.unansweredMs),
          'slowest hello (ms)': Math.round(w.slowestHelloMs),
          'reunion failures': w.helloFailures,
        },
      ]),
    ),
  );
} finally {
  await Promise.all(peers.map((peer) => peer.close()));
  if (process.env.DUMP) console.error(root.stderr);
  root.child.kill('SIGTERM');
  await root.exited;
  await cluster.stop();
}
