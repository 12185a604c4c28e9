import type { Topology } from '@p2p/root-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  AddressMover,
  HttpProbe,
  namespaceSupport,
  PeerProgram,
  PostgresHost,
  postgresSupport,
  runningProcesses,
  ServiceAddress,
  StandbyRootProgram,
  stopAll,
  Testbed,
} from '../src/index.js';
import { ip } from '../src/ip.js';
import { eventually, subtreeOf } from './host-network.js';

/** The service address the peers know the root by, and the roots' fixed ports (namespaces are private). */
const SERVICE = '10.213.0.250';
const ROOT_PORT = 5353;
const SERVICE_ROOT = `${SERVICE}:${ROOT_PORT}`;
const ADMIN = '127.0.0.1:8080';
const PEER_HOSTS = ['h1', 'h2', 'h3', 'h4'];
const PEERS_PER_HOST = 3;

const support = await namespaceSupport();
const postgres = postgresSupport();
const inCi = !['', '0', 'false', undefined].includes(process.env.CI);
if (support.ok && !postgres.ok)
  console.warn(`[hosts] service address ${inCi ? 'cannot run' : 'skipped'}: ${postgres.reason}`);

const figures: string[] = [];
const note = (line: string) => {
  figures.push(line);
  console.log(`[hosts] ${line}`);
};

describe.runIf(support.ok)('PostgreSQL for the active/standby roots', () => {
  it('can be run (else the service address scenarios are skipped, or fail under CI)', (ctx) => {
    if (postgres.ok) return;
    if (inCi) throw new Error(`the service address scenarios must run in CI: ${postgres.reason}`);
    ctx.skip(`skipped: ${postgres.reason}`);
  });
});

/** Address → parent, with the root (whatever address it listens on) as `root`. */
function shape(topology: Topology): Record<string, string | null> {
  return Object.fromEntries(
    topology.nodes.map((n) => [n.address, n.parent === topology.root ? 'root' : n.parent]),
  );
}

/**
 * True when every one of `peers` is alive in the root's tree under the parent it reports itself:
 * the service address for a child of the root, else a peer that counts it among its children.
 */
function attached(topology: Topology, peers: readonly PeerProgram[], all: readonly PeerProgram[]) {
  const nodes = new Map(topology.nodes.map((n) => [n.address, n]));
  const byAddress = new Map(all.map((p) => [p.address, p]));
  return peers.every((peer) => {
    const node = nodes.get(peer.address);
    if (node === undefined || !node.alive || node.parent === null) return false;
    if (node.parent === topology.root) return peer.parent === SERVICE_ROOT;
    return peer.parent === node.parent && byAddress.get(node.parent)?.children.has(peer.address);
  });
}

describe.runIf(support.ok && postgres.ok).each([
  { mode: '0.0.0.0', listen: `0.0.0.0:${ROOT_PORT}`, nonlocalBind: false, tag: 'w' },
  { mode: 'the service address', listen: SERVICE_ROOT, nonlocalBind: true, tag: 'v' },
])(
  'one service address moved with the leader, two root hosts listening on $mode',
  ({ listen, nonlocalBind, tag, mode }) => {
    let bed: Testbed;
    let db: PostgresHost | undefined;
    const roots: StandbyRootProgram[] = [];
    const probes = new Map<string, HttpProbe>();
    const peers: PeerProgram[] = [];
    let mover: AddressMover | undefined;
    let labels = 0;
    let dbUrl = '';

    const leader = () => (roots[1]?.logged('leading') ? roots[1] : roots[0]) as StandbyRootProgram;
    const probe = (root: StandbyRootProgram) => probes.get(root.host.name) as HttpProbe;
    const topology = (root = leader()) =>
      probe(root).json<Topology>(`http://${root.http}/api/topology`);
    const health = async (root: StandbyRootProgram) => {
      const { status, body } = await probe(root).get(`http://${root.http}/healthz`);
      return { status, text: body.trim() };
    };
    const metric = async (root: StandbyRootProgram, name: string) => {
      const { body } = await probe(root).get(`http://${root.http}/metrics`);
      const line = body.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const untilAttached = (wanted: readonly PeerProgram[], ms: number) =>
      eventually(
        `${wanted.length} peers attached`,
        async () => {
          const t = await topology();
          return attached(t, wanted, peers) && t;
        },
        ms,
      );
    const untilReceived = (wanted: readonly PeerProgram[], text: string, ms: number) =>
      Promise.all(
        wanted.map((p) =>
          p.process.until(`"${text}" at ${p.process.label}`, () => p.received(text).length > 0, ms),
        ),
      );
    const startPeers = async (hosts: readonly string[], count: number) => {
      const started = await Promise.all(
        hosts.flatMap((name) =>
          Array.from({ length: count }, () =>
            PeerProgram.start(bed.host(name), SERVICE_ROOT, `peer ${name}#${++labels}`),
          ),
        ),
      );
      peers.push(...started);
      return started;
    };

    beforeAll(async () => {
      bed = await Testbed.create({
        hosts: ['rootA', 'rootB', 'db', ...PEER_HOSTS],
        prefix: `${inject('runPrefix')}${tag}`,
      });
      db = await PostgresHost.start(bed.host('db'));
      dbUrl = db.url;
      const service = new ServiceAddress(SERVICE);
      for (const name of ['rootA', 'rootB']) {
        const host = bed.host(name);
        await service.prepare(host, { nonlocalBind });
        probes.set(name, new HttpProbe(host));
      }
      const options = { db: dbUrl, listen, http: ADMIN };
      roots.push(await StandbyRootProgram.start(bed.host('rootA'), options));
      await (roots[0] as StandbyRootProgram).leading(30_000);
      roots.push(await StandbyRootProgram.start(bed.host('rootB'), options));
      mover = new AddressMover(
        service,
        roots.map((root) => ({ host: root.host, health: async () => (await health(root)).status })),
      ).start();
      await mover.untilHeldBy('rootA', 15_000);
    }, 90_000);

    afterAll(async () => {
      if (bed === undefined) return;
      await mover?.stop();
      await Promise.allSettled(peers.map((p) => p.process.stop()));
      await Promise.allSettled([...roots, ...probes.values()].map((p) => p.process.stop()));
      await db?.stop();
      await stopAll();
      const swept = await bed.destroy();
      console.log(`[hosts] figures (listening on ${mode}):\n  ${figures.join('\n  ')}`);
      figures.length = 0;
      expect(swept.processes, 'processes still inside the namespaces at the end').toEqual([]);
      expect(runningProcesses(), 'processes of this run still running').toEqual([]);
      expect((await ip('netns', 'list')).includes(bed.prefix)).toBe(false);
    }, 60_000);

    it('forms through the service address: one root leads, the other stands by', async () => {
      const [a, b] = roots as [StandbyRootProgram, StandbyRootProgram];
      await startPeers(PEER_HOSTS, PEERS_PER_HOST);
      const formed = await untilAttached(peers, 60_000);
      expect(await health(a)).toEqual({ status: 200, text: 'ok leader term 1' });
      expect(await health(b)).toEqual({ status: 503, text: 'standby' });
      expect(formed.root).toBe(listen);
      expect(formed.nodes.filter((n) => n.parent === formed.root).length).toBeGreaterThan(0);
      for (const peer of peers) expect(peer.address.split(':')[0]).toBe(peer.host.address);
    }, 90_000);

    it('the leader SIGKILLed: the address moves to the new leader, the tree and every registration stay, Messages flow, a newcomer registers through it', async () => {
      const [a, b] = roots as [StandbyRootProgram, StandbyRootProgram];
      const before = await topology(a);
      // The tree without the root is two halves: one under each of its children.
      const [top] = before.nodes.filter((n) => n.parent === before.root);
      if (top === undefined) throw new Error('the root has no child');
      const half = new Set([top.address, ...subtreeOf(before, top.address)]);
      const depth = new Map(before.nodes.map((n) => [n.address, n.depth ?? 0]));
      const sender = peers
        .filter((p) => half.has(p.address))
        .reduce((x, y) => ((depth.get(y.address) ?? 0) > (depth.get(x.address) ?? 0) ? y : x));
      const sameHalf = peers.filter((p) => half.has(p.address) && p !== sender);
      const mark = new Map(peers.map((p) => [p, p.process.events.length]));
      const since = (p: PeerProgram, event: string) =>
        p.process.events.slice(mark.get(p)).filter((e) => e.event === event).length;

      const killedAt = Date.now();
      await a.process.stop('SIGKILL');
      // Flooding does not need the root: the sender's half hears it while nobody leads.
      sender.send('leader gone');
      await b.leading(10_000);
      const ledAt = Date.now();
      await (mover as AddressMover).untilHeldBy('rootB', 10_000);
      const movedAt = (mover as AddressMover).moves.at(-1)?.at ?? Date.now();
      await untilReceived(sameHalf, 'leader gone', 10_000);
      for (const p of sameHalf) expect(p.received('leader gone'), p.process.label).toHaveLength(1);

      // Every peer heard from by the new leader after the move, in the tree as it was.
      const after = await eventually(
        'every peer heard from by the new leader',
        async () => {
          const t = await topology(b);
          return (
            attached(t, peers, peers) && t.nodes.every((n) => Date.parse(n.lastSeen) > movedAt) && t
          );
        },
        20_000,
      );
      const heardAt = Date.now();
      expect(await health(b)).toEqual({ status: 200, text: 'ok leader term 2' });
      // The new leader took over well within the peer timeout: nobody fell into reunion failure,
      // nobody was placed again (its placements count from its own start), the tree is the same.
      const failed = peers.filter((p) => since(p, 'reunion-failure') > 0);
      const timeline = `led after ${ledAt - killedAt} ms, address moved after ${movedAt - killedAt} ms`;
      expect(
        failed.map((p) => p.process.label),
        `in reunion failure (${timeline})`,
      ).toEqual([]);
      expect(await metric(b, 'p2p_placements_total')).toBe(0);
      expect(shape(after)).toEqual(shape(before));
      expect(peers.map((p) => since(p, 'parent'))).toEqual(peers.map(() => 0));
      expect(peers.map((p) => since(p, 'registered'))).toEqual(peers.map(() => 0));
      expect(b.logged('node registered')).toBe(0);
      expect(await metric(b, 'p2p_registered_nodes')).toBe(peers.length);
      note(
        `SIGKILL of the leader: the standby led after ${ledAt - killedAt} ms (observed), the address moved after ${movedAt - killedAt} ms, every peer heard from by the new leader after ${heardAt - killedAt} ms`,
      );

      // Across the root again: a Message from the other half reaches everyone exactly once.
      const origin = peers.find((p) => !half.has(p.address)) as PeerProgram;
      origin.send('new leader');
      await untilReceived(
        peers.filter((p) => p !== origin),
        'new leader',
        20_000,
      );
      for (const p of peers.filter((x) => x !== origin))
        expect(p.received('new leader'), p.process.label).toHaveLength(1);

      // A newcomer that knows the service address only registers and is placed by the new leader.
      const [newcomer] = await startPeers(['h1'], 1);
      await untilAttached([newcomer as PeerProgram], 20_000);
      expect(newcomer?.process.count((e) => e.event === 'registered')).toBe(1);
      expect(b.logged('node registered')).toBe(1);
      expect(await metric(b, 'p2p_placements_total')).toBe(1);
      expect(await metric(b, 'p2p_registered_nodes')).toBe(peers.length);
    }, 120_000);

    it('the old leader comes back as a standby: the address stays with the leader', async () => {
      const [, b] = roots as [StandbyRootProgram, StandbyRootProgram];
      const movesBefore = (mover as AddressMover).moves.length;
      const back = await StandbyRootProgram.start(bed.host('rootA'), {
        db: dbUrl,
        listen,
        http: ADMIN,
      });
      roots[0] = back;
      // Every check from now on sees a standby on rootA and the leader on rootB.
      await (mover as AddressMover).untilChecked(5, 10_000);
      expect(await health(back)).toEqual({ status: 503, text: 'standby' });
      expect(await health(b)).toEqual({ status: 200, text: 'ok leader term 2' });
      expect((mover as AddressMover).moves.length).toBe(movesBefore);
      // The peers notice nothing: a Message still reaches everyone exactly once.
      const [origin, ...rest] = peers as [PeerProgram, ...PeerProgram[]];
      origin.send('standby back');
      await untilReceived(rest, 'standby back', 20_000);
      for (const p of rest) expect(p.received('standby back'), p.process.label).toHaveLength(1);
    }, 60_000);
  },
);
