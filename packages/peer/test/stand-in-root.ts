import { EventEmitter } from 'node:events';
import { type Address, formatAddress, type Packet } from '@p2p/codec';
import { StreamNode } from '@p2p/stream';
import { type BroadcastResult, TreeCore, type TreeNodeEvents } from '../src/index.js';

/**
 * A deliberately naive root for the peer's integration tests (the real one is @p2p/root-server):
 * registers anyone, places breadth-first by scanning, answers hellos, and forgets a node that an
 * orphan reports lost by advertising again.
 */
export class StandInRoot extends EventEmitter<TreeNodeEvents> {
  readonly registered = new Set<string>();
  readonly parentOf = new Map<string, string>();
  readonly hellos: string[][] = [];
  readonly #core: TreeCore;

  static async start(listen = '127.0.0.1:0'): Promise<StandInRoot> {
    return new StandInRoot(await StreamNode.listen({ listen }));
  }

  constructor(transport: StreamNode) {
    super();
    this.#core = new TreeCore({
      transport,
      events: this,
      role: {
        control: (packet, from) => this.#onControl(packet, from),
        answerHello: (path, _packet, from) => this.#onHello(path, from),
      },
    });
  }

  get address(): string {
    return this.#core.address;
  }

  get children(): string[] {
    return this.#core.children;
  }

  broadcast(text: string): Promise<BroadcastResult> {
    return this.#core.broadcast(text);
  }

  childrenOf(key: string): string[] {
    return [...this.parentOf].filter(([, parent]) => parent === key).map(([child]) => child);
  }

  #subtree(key: string): Set<string> {
    const out = new Set([key]);
    for (const node of out) for (const child of this.childrenOf(node)) out.add(child);
    return out;
  }

  #onControl(packet: Packet, from: string): void {
    const core = this.#core;
    if (packet.kind === 'register-request') {
      this.registered.add(from);
      void core.send(from, { kind: 'register-response', source: core.self });
    } else if (packet.kind === 'advertise-request' && this.registered.has(from)) {
      const previous = this.parentOf.get(from);
      if (previous !== undefined && previous !== this.address) this.#forget(previous, from);
      this.parentOf.delete(from);
      const excluded = this.#subtree(from);
      const queue = [this.address];
      let parent = this.address;
      for (const node of queue) {
        if (!excluded.has(node) && this.childrenOf(node).length < 2) {
          parent = node;
          break;
        }
        queue.push(...this.childrenOf(node));
      }
      this.parentOf.set(from, parent);
      const [host, port] = parent.split(':') as [string, string];
      void core.send(from, {
        kind: 'advertise-response',
        source: core.self,
        // Under the root: the address this peer reaches the root at (on 0.0.0.0, the one it dialled).
        parent: parent === this.address ? core.sourceFor(from) : { host, port: Number(port) },
      });
    } else {
      core.drop('unexpected-kind', packet, from);
    }
  }

  /** The orphan's previous parent is taken as dead: it leaves the tree; its other children stay until they ask. */
  #forget(dead: string, orphan: string): void {
    if (dead === orphan) return;
    this.parentOf.delete(dead);
    for (const [child, parent] of this.parentOf)
      if (parent === dead && child !== orphan) this.parentOf.set(child, dead);
  }

  #onHello(path: readonly Address[], from: string): void {
    this.hellos.push(path.map(formatAddress));
    void this.#core.send(from, {
      kind: 'reunion-hello-back',
      source: this.#core.self,
      path: [...path].reverse(),
    });
  }

  async close(): Promise<void> {
    this.#core.close();
    await this.#core.transport.close();
  }
}
