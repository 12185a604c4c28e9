import { ManualClock, Peer } from '@p2p/peer';
import { RootServer, type RootServerOptions } from '../src/index.js';
import { until } from './wait.js';

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

  async startPeer(): Promise<Peer> {
    const peer = await Peer.start({
      listen: '127.0.0.1:0',
      root: this.root.address,
      timings,
      clock: this.clock,
    });
    this.#closers.push(() => peer.close());
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

  byAddress(address: string): Peer | undefined {
    return this.peers.find((p) => p.address === address);
  }

  /** Attached, Join landed, no hello outstanding. */
  quiet(peers: Peer[]): boolean {
    return peers.every(
      (p) => p.reunion === 'attached' && this.joined(p) && !p.status().helloOutstanding,
    );
  }

  /**
   * Moves the clock `totalMs` forward in steps of `stepMs`; after each step waits (at most
   * `waitMs` of real time) until `live` are quiet, so that every hello round trip of the step is
   * done before time moves on.
   */
  async advance(totalMs: number, live: Peer[], stepMs = 50, waitMs = 300): Promise<void> {
    for (let done = 0; done < totalMs; done += stepMs) {
      this.clock.advance(stepMs);
      await this.settled(live, waitMs);
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
