import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Topology, TopologyNode } from '../src/index.js';
import { MessageLedger } from './message-ledger.js';
import { PeerProcess } from './peer-process.js';
import { RootProcess } from './root-process.js';

// Fast, but with room for a loaded 2-core machine running 33 processes: a hello delayed by CPU
// starvation must not look like a failure.
const timings = { helloInterval: 200, peerTimeout: 4_000, rootTimeout: 3_800 };
const TEST_TIMEOUT = 150_000;
// The lossless extension repairs what was sent within its cache age (default: twice the peer
// timeout, 8 s here); a peer paused at the start of the chaos resumes only after the root's
// restart, tens of seconds later, and is owed everything sent meanwhile. So the peers keep their
// Messages for as long as an attempt of this test may last: the guarantee asserted below is the
// one of docs/protocol.md 10.1 with the cache age set to cover the test (the chaos sends far
// fewer Messages than the cache's 1,024 entries). The root is left at its defaults (a cache age of
// twice the reference peer timeout, 76 s): it loses its cache when it crashes anyway, and is
// handed its children's afterwards (10.1.5).
const lossless = { cacheAge: TEST_TIMEOUT };
const PEERS = 32;
const dir = mkdtempSync(join(tmpdir(), 'p2p-chaos-'));
let store = '';
const everything: Array<PeerProcess | RootProcess> = [];

/** Ends every process started so far (a failed attempt's too, before the retry). */
async function stopEverything(): Promise<void> {
  for (const p of everything) {
    if (p instanceof PeerProcess) p.child.kill('SIGCONT');
    p.kill();
  }
  await Promise.all(everything.splice(0).map((p) => p.exited));
}

afterAll(async () => {
  await stopEverything();
  rmSync(dir, { recursive: true, force: true });
});

function startRoot(listen: string): RootProcess {
  const root = new RootProcess([
    '--listen',
    listen,
    '--http',
    '127.0.0.1:0',
    '--db',
    store,
    '--log-level',
    'info',
    '--hello-interval',
    String(timings.helloInterval),
    '--root-timeout',
    String(timings.rootTimeout),
  ]);
  everything.push(root);
  return root;
}

function startPeer(root: string): PeerProcess {
  const peer = new PeerProcess(root, timings, lossless);
  everything.push(peer);
  return peer;
}

/** Polls the root's topology (an HTTP API, no events to wait on) until `check` holds. */
async function untilTopology(
  root: RootProcess,
  what: string,
  check: (t: Topology) => boolean,
  ms = 30_000,
): Promise<Topology> {
  const deadline = Date.now() + ms;
  for (;;) {
    const topology = await root.topology().catch(() => undefined);
    if (topology !== undefined && check(topology)) return topology;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(topology)}`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // polling interval of an HTTP API, not a stand-in for an event
  }
}

/** True once the kernel has stopped `pid` (SIGSTOP delivered): state `T` in /proc/PID/stat. */
function isStopped(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
}

/** Resolves once `check` holds, polled every 10 ms (the kernel sends no event); rejects after `ms`. */
async function untilTrue(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10)); // polling the kernel's state
  }
}

/**
 * Every live peer is alive in the root's tree where it thinks it is, its parent counts it as a
 * child, and the tree is binary and connected. The root's view alone is not enough: a parent may
 * have dropped a child the root still shows under it (a root restarted on its store restores its
 * tree), and Messages no longer go down that edge.
 */
function healthy(topology: Topology, live: PeerProcess[]): boolean {
  if (live.length === 0) throw new Error('no live peer to check');
  const byAddress = new Map(topology.nodes.map((n) => [n.address, n]));
  const alive = topology.nodes.filter((n) => n.alive);
  const children = new Map<string, number>();
  for (const n of alive) children.set(n.parent ?? '', (children.get(n.parent ?? '') ?? 0) + 1);
  if ([...children.values()].some((count) => count > 2)) return false;
  for (const n of alive) {
    // Connected: the parent chain reaches the root without a loop.
    let at: string | null = n.address;
    for (let hops = 0; at !== topology.root; hops++) {
      const node: TopologyNode | undefined = at === null ? undefined : byAddress.get(at);
      if (node === undefined || !node.alive || hops > 100) return false;
      at = node.parent;
    }
  }
  const processes = new Map(live.map((p) => [p.address, p]));
  return live.every((p) => {
    const node = byAddress.get(p.address);
    if (node?.alive !== true || node.parent !== p.parent) return false;
    return (
      p.parent === topology.root || processes.get(p.parent ?? '')?.children.has(p.address) === true
    );
  });
}

/** Where `peer` stands, for a failure message: its parent, and whether that parent counts it. */
function standing(peer: PeerProcess, live: PeerProcess[]): string {
  const parent = live.find((p) => p.address === peer.parent);
  const counted = parent === undefined ? 'the root or gone' : parent.children.has(peer.address);
  return `${peer.address} under ${peer.parent} (counted by its parent: ${counted})`;
}

describe('chaos: a root and 32 peers in separate processes', () => {
  it('survives kills, pauses, restarts and a root crash; every message, sent during the chaos or after, reaches every live peer once, in its origin’s order', {
    timeout: TEST_TIMEOUT,
    // Once in about five loaded runs a peer paused past its parent's patience with a silent child
    // kept waiting on that parent after it resumed, while the restarted root showed it in place,
    // and missed the messages after settling: peers now fail over at once then, and settling
    // waits for every parent to count its children. The retry stays against a machine too loaded
    // for the timings; a run that fails twice in a row still fails.
    retry: 1,
  }, async ({ task }) => {
    // A retry starts afresh: the failed attempt's processes gone, a store of its own.
    await stopEverything();
    store = join(dir, `root-${task.result?.retryCount ?? 0}.db`);
    let root = startRoot('127.0.0.1:0');
    const { address } = await root.started;
    const peers: PeerProcess[] = [];
    for (let i = 0; i < PEERS; i++) peers.push(startPeer(address));
    await Promise.all(peers.map((p) => p.until('attached', () => p.parent !== null, 60_000)));
    await untilTopology(root, 'everyone in the tree', (t) => healthy(t, peers), 60_000);
    const registered = new Set((await root.topology()).nodes.map((n) => n.address));
    expect(registered.size).toBe(PEERS);

    // A seeded plan of faults, so that a failure can be replayed.
    const plan = fc.sample(
      fc.tuple(fc.constantFrom('kill', 'pause', 'restart', 'message'), fc.nat()),
      { seed: 424242, numRuns: 24 },
    );
    const ledger = new MessageLedger();
    const paused = new Set<PeerProcess>();
    const dead = new Set<PeerProcess>();
    const live = () => peers.filter((p) => !dead.has(p));
    // Each fault is followed by waiting until the root has seen it, so that the next one meets a
    // network that has reacted: a crash closes the root's connection (the node leaves the tree), a
    // newcomer is placed. A pause shows only after the root timeout: the process is stopped, and
    // paused peers stay silent while later faults happen.
    const inTree = (peer: PeerProcess, alive: boolean) =>
      untilTopology(
        root,
        `${peer.address} ${alive ? 'placed' : 'off the tree'}`,
        (t) => (t.nodes.find((n) => n.address === peer.address)?.alive === true) === alive,
      );
    for (const [step, [action, pick]] of plan.entries()) {
      const candidates = live().filter((p) => !paused.has(p));
      expect(candidates.length).toBeGreaterThan(0);
      const target = candidates[pick % candidates.length] as PeerProcess;
      if (action === 'kill') {
        target.kill();
        dead.add(target);
        await target.exited;
        await inTree(target, false);
      } else if (action === 'pause') {
        target.child.kill('SIGSTOP'); // a silent failure: the process holds its sockets and says nothing
        paused.add(target);
        await untilTrue(`${target.address} stopped`, () => isStopped(target.child.pid as number));
      } else if (action === 'restart') {
        target.kill();
        dead.add(target);
        const fresh = startPeer(address);
        peers.push(fresh);
        await target.exited;
        await inTree(target, false);
        await fresh.until('started', () => fresh.address !== '');
        await inTree(fresh, true);
      } else {
        // Its neighbours may be paused, killed or on the move: the lossless extension repairs
        // what they miss when their part of the tree re-attaches (checked at the end).
        ledger.send(target, `during the chaos ${step}`, peers);
      }
    }

    // The root crashes mid-run and comes back on the same store and address.
    root.kill('SIGKILL');
    await root.exited;
    root = startRoot(address);
    await root.started;
    const afterCrash = await root.topology();
    for (const address of registered)
      expect(afterCrash.nodes.some((n) => n.address === address)).toBe(true);

    for (const p of paused) p.child.kill('SIGCONT');
    const survivors = live();
    // Settled: healthy, and the same tree a second later (no node still on the move).
    const shape = (t: Topology) =>
      JSON.stringify(t.nodes.map((n) => [n.address, n.parent, n.alive]));
    // Healed: every survivor in place, and the dead turned off (those the crashed root had not
    // noticed yet come back alive from the store and are turned off when their grace ends).
    const healed = () =>
      untilTopology(
        root,
        'the tree healed',
        (t) => healthy(t, survivors) && t.nodes.filter((n) => n.alive).length === survivors.length,
        60_000,
      );
    let settled = await healed();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // an observation window, not a synchronisation
      const again = await healed();
      if (shape(again) === shape(settled)) break;
      settled = again;
    }
    expect(settled.nodes.filter((n) => n.alive).length).toBe(survivors.length);

    // Messages at any time: those sent during the chaos reach every survivor (a paused peer is
    // one) that was in the tree when they were sent, exactly once, in their origin's order, with
    // their origin; only those of a sender that died since are not owed (the ledger, explicitly).
    // The repairs are done by now as a rule; the wait is for a loaded machine.
    const everyOwed = (what: string) =>
      Promise.all(
        survivors.map((p) => p.until(what, () => ledger.complete(p, survivors), 20_000)),
      ).catch(() => undefined); // what is missing then is reported below, by peer and message
    const problems = () =>
      survivors.flatMap((p) =>
        ledger.problems(p, survivors).map((problem) => `${problem}; ${standing(p, survivors)}`),
      );
    await everyOwed('every message of the chaos owed to it');
    const duringChaos = problems();

    // After settling, every message reaches every live peer exactly once.
    const senders = [
      survivors[0],
      survivors[survivors.length - 1],
      survivors[Math.floor(survivors.length / 2)],
    ] as PeerProcess[];
    for (const [i, sender] of senders.entries()) {
      const text = `after settling ${i}`;
      ledger.send(sender, text, peers);
      const heard = (p: PeerProcess) => p.count('message', (e) => e.text === text) >= 1;
      await Promise.all(
        survivors.filter((p) => p !== sender).map((p) => p.until(`"${text}"`, () => heard(p))),
      ).catch((error: Error) => {
        const missed = survivors.filter((p) => p !== sender && !heard(p));
        throw new Error(
          `${error.message}\nmissed by: ${missed.map((p) => standing(p, survivors)).join('; ')}` +
            `\nand during the chaos: ${duringChaos.join('\n') || 'nothing wrong'}`,
        );
      });
    }
    for (const [i, sender] of senders.entries()) {
      for (const p of survivors)
        expect(p.count('message', (e) => e.text === `after settling ${i}`)).toBe(
          p === sender ? 0 : 1,
        );
    }
    await everyOwed('every message owed to it');
    const owed = survivors.reduce((sum, p) => sum + ledger.owed(p, survivors).length, 0);
    const chaosOwed = (p: PeerProcess) =>
      ledger.owed(p, survivors).filter((text) => text.startsWith('during the chaos')).length;
    console.info(
      `chaos: ${ledger.size} messages, ${owed} deliveries owed to ${survivors.length} live peers (${paused.size} were paused, ${dead.size} died); of the chaos, owed to the paused: ${[...paused].map(chaosOwed).join(', ')}`,
    );
    expect(problems()).toEqual([]);
    // Not vacuous: Messages of the chaos were owed, to the peers that were paused among others
    // (peers started after the last of them are owed none).
    expect([...paused].filter((p) => chaosOwed(p) === 0).map((p) => p.address)).toEqual([]);
  });
});
