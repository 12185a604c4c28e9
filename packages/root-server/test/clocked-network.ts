import { formatAddress } from '@p2p/codec';
import { ManualClock, Peer, type Transport } from '@p2p/peer';
import { StreamNode } from '@p2p/stream';
import { until } from '@p2p/test-net';
import { RootServer, type RootServerOptions } from '../src/index.js';

/** Fast timings of the runs: hello every 200 ms, timeouts 1.5 s. */
export const timings = { helloInterval: 200, peerTimeout: 1_500, rootTimeout: 1_500 };

/**
 * A root and peers in one process on real loopback sockets, with every protocol timer on one
 * ManualClock: time moves only in {@link ClockedNetwork.advance}, so a test decides when hellos go
 * out and when timeouts could fire, and waits for the packets (events) in between.
 */
export class ClockedNetwork {
  readonly clock = new ManualClock(Date.now());
  root!: RootServer;
  readonly peers: Peer[] = [];
  readonly #transports = new Map<Peer, StreamNode>();
  readonly #rootRefusals = new Map<Peer, number>();
  readonly #rootFailures = new Map<Peer, number>();
  readonly #closers: Array<() => Promise<void>> = [];

  async startRoot(options: Partial<RootServerOptions> = {}): Promise<RootServer> {
    this.root = await RootServer.start({
      listen: '127.0.0.1:0',
      http: null,
      timings,
      clock: this.clock,
      ...options,
    });
    const root = this.root;
    this.#closers.push(() => root.close());
    return root;
  }

  /** `wrap` may stand between the peer and its transport (to cut the root off, say). */
  async startPeer(wrap?: (transport: StreamNode) => Transport): Promise<Peer> {
    // The transport is ours, so that a test can wait for the peer's connection to the root to fail.
    const transport = await StreamNode.listen({ listen: '127.0.0.1:0' });
    const peer = new Peer({
      transport: wrap?.(transport) ?? transport,
      root: this.root.address,
      timings,
      clock: this.clock,
    });
    this.#closers.push(() => peer.close());
    this.#transports.set(peer, transport);
    transport.on('unreachable', ({ address, error }) => {
      if (formatAddress(address) !== this.root.address) return;
      this.#rootFailures.set(peer, (this.#rootFailures.get(peer) ?? 0) + 1);
      if (error.code === 'ERR_STREAM_REFUSED')
        this.#rootRefusals.set(peer, (this.#rootRefusals.get(peer) ?? 0) + 1);
    });
    peer.begin();
    this.peers.push(peer);
    await until(
      `${peer.address} attached`,
      () => this.joined(peer),
      [peer, this.root.node, ...this.peers],
      ['parent', 'neighbour-added'],
    );
    return peer;
  }

  /** The peer has a parent that lists it as a child (its Join landed). */
  joined(peer: Peer): boolean {
    const parent = peer.parent;
    if (parent === null) return false;
    const node = parent === this.root.address ? this.root.node : this.byAddress(parent);
    return node?.children.includes(peer.address) === true;
  }

  /** How often `peer`'s connection to the root failed, and how often of those it was refused. */
  rootFailures(peer: Peer): { failed: number; refused: number } {
    return {
      failed: this.#rootFailures.get(peer) ?? 0,
      refused: this.#rootRefusals.get(peer) ?? 0,
    };
  }

  /** Resolves once `check(peer)` holds for each of `peers`, re-checked as their transports fail. */
  untilRootFailures(what: string, peers: Peer[], check: (peer: Peer) => boolean): Promise<void> {
    if (peers.length === 0) throw new Error(`no peers to wait for: ${what}`);
    const transports = peers.map((peer) => this.#transports.get(peer) as StreamNode);
    return until(what, () => peers.every(check), transports as never[], ['unreachable'], 5_000);
  }

  byAddress(address: string): Peer | undefined {
    return this.peers.find((p) => p.address === address);
  }

  /** Attached, Join landed, no hello outstanding. */
  quiet(peers: Peer[]): boolean {
    if (peers.length === 0) throw new Error('no peers to check');
    return peers.every(
      (p) => p.reunion === 'attached' && this.joined(p) && !p.status().helloOutstanding,
    );
  }

  /**
   * Moves the clock `totalMs` forward in steps of `stepMs`; after each step waits until `live`
   * are quiet, so that every hello round trip of the step is done before time moves on. A step
   * that does not settle within `waitMs` of real time fails: something is waiting for time to
   * move (a retry, a timeout), and the test must wait for that instead.
   */
  async advance(totalMs: number, live: Peer[], stepMs = 50, waitMs = 5_000): Promise<void> {
    for (let done = 0; done < totalMs; done += stepMs) {
      this.clock.advance(stepMs);
      if (!(await this.settled(live, waitMs))) {
        const loud = live.filter((p) => !this.quiet([p])).map((p) => p.address);
        throw new Error(`the step to ${done + stepMs} ms did not settle: ${loud.join(', ')}`);
      }
    }
  }

  /** Resolves true once `live` are quiet, false after `waitMs` of real time. */
  settled(live: Peer[], waitMs: number): Promise<boolean> {
    return until(
      'quiet',
      () => this.quiet(live),
      [this.root.node, ...live],
      ['hello-answered', 'parent', 'neighbour-added', 'reunion-failure'],
      waitMs,
    ).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.#closers.splice(0).map((close) => close()));
  }
}
