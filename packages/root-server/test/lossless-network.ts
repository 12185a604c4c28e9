import { Peer, type PeerOptions } from '@p2p/peer';
import { until } from '@p2p/test-net';
import { RootServer, type RootServerOptions } from '../src/index.js';

/** A node as these tests watch it: the root's node or a peer. */
export type Node = Peer | RootServer['node'];

/**
 * Real Peers and a RootServer on loopback port 0 with the fast timings, each Message delivered
 * recorded by node and origin. Messages are texts `ORIGIN#N`.
 */
export class LosslessNetwork {
  readonly peers: Peer[] = [];
  /** By node address: every Message delivered there, in order. */
  readonly delivered = new Map<string, Array<{ text: string; origin: string | null }>>();
  readonly #closers: Array<() => Promise<void>> = [];

  async startRoot(options: Partial<RootServerOptions> = {}): Promise<RootServer> {
    const root = await RootServer.start({
      listen: '127.0.0.1:0',
      http: null,
      timings: 'fast',
      ...options,
    });
    this.#closers.push(() => root.close());
    this.#record(root.node);
    return root;
  }

  async startPeer(root: RootServer | string, options: Partial<PeerOptions> = {}): Promise<Peer> {
    const peer = await Peer.start({
      listen: '127.0.0.1:0',
      root: typeof root === 'string' ? root : root.address,
      timings: 'fast',
      ...options,
    });
    this.#closers.push(() => peer.close());
    this.#record(peer);
    this.peers.push(peer);
    return peer;
  }

  /** Resolves once `peer` is in the tree under `parent` (if given) and its parent counts it. */
  async joined(peers: Peer[], parentOf: (peer: Peer) => Node | undefined): Promise<void> {
    await until(
      'every peer joined',
      () =>
        peers.every((p) => {
          const parent = parentOf(p);
          return p.joinedParent !== null && parent?.children.includes(p.address) === true;
        }),
      peers,
      ['joined', 'neighbour-added', 'parent', 'hello-answered'],
      15_000,
    );
  }

  /** Resolves once each node in `nodes` has delivered `count` Messages of each origin in `origins` (not its own). */
  async allDelivered(nodes: Node[], origins: string[], count: number, what: string): Promise<void> {
    await until(
      what,
      () =>
        nodes.every((node) =>
          origins.every(
            (origin) => origin === node.address || this.texts(node, origin).length >= count,
          ),
        ),
      nodes,
      ['message'],
      20_000,
    );
  }

  /** The texts `node` delivered whose text names `origin`, in delivery order. */
  texts(node: Node, origin: string): string[] {
    return (this.delivered.get(node.address) ?? [])
      .map(({ text }) => text)
      .filter((text) => text.startsWith(`${origin}#`));
  }

  async close(): Promise<void> {
    await Promise.all(this.#closers.splice(0).map((close) => close()));
  }

  #record(node: Node): void {
    const list: Array<{ text: string; origin: string | null }> = [];
    this.delivered.set(node.address, list);
    node.on('message', ({ text, origin }) => list.push({ text, origin }));
  }
}

/** `ORIGIN#1` … `ORIGIN#count`. */
export function numbered(origin: string, count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => `${origin}#${from + i}`);
}
