import { isAttached, type Topology, type TopologyNode, topologyViews } from '@p2p/root-server';
import {
  type BedHost,
  HttpProbe,
  PeerProgram,
  RootProgram,
  runningProcesses,
  type SweepReport,
  stopAll,
  Testbed,
} from '../src/index.js';

/** Resolves when `check()` holds, re-checked every `everyMs`; rejects after `ms` naming `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms: number,
  everyMs = 150,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`no ${what} within ${ms} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * A root on its own host and peers on the other hosts of a namespace test bed, all real programs
 * driven through their `--json` output and the root's admin HTTP (read from inside the root's
 * namespace).
 */
export class HostNetwork {
  readonly bed: Testbed;
  readonly root: RootProgram;
  readonly probe: HttpProbe;
  readonly peers: PeerProgram[] = [];
  #labels = 0;

  private constructor(bed: Testbed, root: RootProgram, probe: HttpProbe) {
    this.bed = bed;
    this.root = root;
    this.probe = probe;
  }

  /** A bed of `root` and `hosts` peer hosts (h1…), the root started on its host. */
  static async create(hosts: number, prefix?: string): Promise<HostNetwork> {
    const names = ['root', ...Array.from({ length: hosts }, (_, i) => `h${i + 1}`)];
    const bed = await Testbed.create({ hosts: names, ...(prefix === undefined ? {} : { prefix }) });
    try {
      const root = await RootProgram.start(bed.host('root'));
      return new HostNetwork(bed, root, new HttpProbe(bed.host('root')));
    } catch (error) {
      await bed.destroy();
      throw error;
    }
  }

  get peerHosts(): BedHost[] {
    return this.bed.hosts.filter((h) => h.name !== 'root');
  }

  /** Starts `count` peers on each of `hosts` at once. */
  async startPeers(hosts: readonly BedHost[], count: number): Promise<PeerProgram[]> {
    const started = await Promise.all(
      hosts.flatMap((host) =>
        Array.from({ length: count }, () =>
          PeerProgram.start(host, this.root.address, `peer ${host.name}#${++this.#labels}`),
        ),
      ),
    );
    this.peers.push(...started);
    return started;
  }

  peersOn(host: string): PeerProgram[] {
    return this.peers.filter((p) => p.host.name === host);
  }

  async topology(): Promise<Topology> {
    return this.probe.json<Topology>(`http://${this.root.http}/api/topology`);
  }

  /** One counter or gauge of the root's `/metrics` (0 when absent). */
  async metric(name: string, labels = ''): Promise<number> {
    const { body } = await this.probe.get(`http://${this.root.http}/metrics`);
    const line = body.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  /**
   * True when every one of `peers` is alive in the root's tree, under the parent it reports itself,
   * and that parent is alive and (a peer of ours) counts it among its children.
   */
  attached(topology: Topology, peers: readonly PeerProgram[]): boolean {
    if (peers.length === 0) throw new Error('attached: no peers to check');
    const byAddress = new Map(this.peers.map((p) => [p.address, p]));
    const views = topologyViews(topology, (address) => byAddress.get(address));
    return peers.every((peer) => isAttached(peer.address, views));
  }

  /** Waits until every one of `peers` is attached (see `attached`); resolves with the topology. */
  untilAttached(peers: readonly PeerProgram[], ms: number): Promise<Topology> {
    return eventually(
      `${peers.length} peers attached`,
      async () => {
        const topology = await this.topology();
        return this.attached(topology, peers) && topology;
      },
      ms,
    );
  }

  /** Waits until each of `peers` delivered `text`; on failure tells what the missing ones saw. */
  async untilReceived(peers: readonly PeerProgram[], text: string, ms: number): Promise<void> {
    const waits = await Promise.allSettled(
      peers.map((peer) =>
        peer.process.until(`message "${text}"`, () => peer.received(text).length > 0, ms),
      ),
    );
    const missing = peers.filter((_, i) => waits[i]?.status === 'rejected');
    if (missing.length === 0) return;
    const topology = await this.topology().catch(() => undefined);
    throw new Error(
      `"${text}" did not reach ${missing.map((p) => p.process.label).join(', ')} within ${ms} ms\n${missing
        .map(
          (p) => `${p.process.label} ${p.address}: ${JSON.stringify(p.process.events.slice(-12))}`,
        )
        .join('\n')}\ntopology: ${JSON.stringify(topology)}`,
    );
  }

  /** Stops every program, removes the bed; resolves with what was still there to remove. */
  async close(): Promise<{ swept: SweepReport; running: number[] }> {
    // Peers first, so that the root sees them go like an operator stopping a network would;
    // then whatever a failed test left running.
    await Promise.allSettled(this.peers.map((p) => p.process.stop()));
    await Promise.allSettled([this.root.process.stop(), this.probe.process.stop(), stopAll()]);
    const swept = await this.bed.destroy();
    return { swept, running: runningProcesses() };
  }
}

/** The nodes below `top` in a topology (not `top` itself). */
export function subtreeOf(topology: Topology, top: string): string[] {
  const children = new Map<string, TopologyNode[]>();
  for (const node of topology.nodes) {
    if (node.parent === null) continue;
    children.set(node.parent, [...(children.get(node.parent) ?? []), node]);
  }
  const below: string[] = [];
  const visit = (address: string) => {
    for (const child of children.get(address) ?? []) {
      below.push(child.address);
      visit(child.address);
    }
  };
  visit(top);
  return below;
}
