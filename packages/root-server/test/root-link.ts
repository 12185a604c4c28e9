import { EventEmitter } from 'node:events';
import {
  type Address,
  type Framing,
  formatAddress,
  type OutgoingFrame,
  type Packet,
  parseAddress,
} from '@p2p/codec';
import type {
  Transport,
  TransportFloodReport,
  TransportPacket,
  TransportUnreachable,
} from '@p2p/peer';
import type { StreamNode } from '@p2p/stream';

const key = (address: Address | string) =>
  typeof address === 'string' ? formatAddress(parseAddress(address)) : formatAddress(address);

/**
 * The switch of the root's host: {@link cut} takes it off the network for every peer whose
 * transport is a {@link RootLink} of it, {@link restore} brings it back.
 */
export class RootCut {
  #cut = false;
  readonly #links = new Set<RootLink>();

  get isCut(): boolean {
    return this.#cut;
  }

  /** A peer's transport, seeing the root through this switch. */
  link(inner: StreamNode, root: string): RootLink {
    const link = new RootLink(inner, root, this);
    this.#links.add(link);
    return link;
  }

  cut(): void {
    this.#cut = true;
  }

  restore(): void {
    this.#cut = false;
    for (const link of this.#links) link.release();
  }
}

/**
 * A peer's transport as a cut of the root's host leaves it: while cut, what the peer sends the
 * root is neither delivered nor acknowledged (TCP holds it and delivers it once the link is
 * back), what the root sends the peer waits likewise, and no failure of the connection is seen
 * (nobody resets it). Between peers nothing changes.
 */
export class RootLink
  extends EventEmitter<{ packet: [TransportPacket]; unreachable: [TransportUnreachable] }>
  implements Transport
{
  readonly #inner: StreamNode;
  readonly #root: string;
  readonly #switch: RootCut;
  readonly #heldOut: Array<() => void> = [];
  readonly #heldIn: TransportPacket[] = [];
  #frozen = false;

  constructor(inner: StreamNode, root: string, cut: RootCut) {
    super();
    this.#inner = inner;
    this.#root = root;
    this.#switch = cut;
    inner.on('packet', (event) => {
      if (this.#frozen) return;
      if (this.#switch.isCut && event.from === this.#root) this.#heldIn.push(event);
      else this.emit('packet', event);
    });
    inner.on('unreachable', (event) => {
      if (!this.#switch.isCut || key(event.address) !== this.#root) this.emit('unreachable', event);
    });
  }

  get address(): Address {
    return this.#inner.address;
  }

  /**
   * The peer dies without a word: it handles nothing more and its sends never leave (its host
   * lost power, say). Nobody sees a connection fail.
   */
  freeze(): void {
    this.#frozen = true;
    this.#heldIn.length = 0;
    this.#heldOut.length = 0;
  }

  /** The link is back: what waited goes through, as TCP would deliver it. */
  release(): void {
    if (this.#frozen) return;
    for (const send of this.#heldOut.splice(0)) send();
    for (const event of this.#heldIn.splice(0)) this.emit('packet', event);
  }

  async send(
    to: Address | string,
    what: Packet | OutgoingFrame,
    options?: { urgent?: boolean },
  ): Promise<void> {
    if (this.#frozen) await new Promise<never>(() => {});
    if (this.#switch.isCut && key(to) === this.#root)
      await new Promise<void>((resolve) => this.#heldOut.push(resolve));
    await this.#inner.send(to, what, options);
  }

  /** The root's share of a flood waits for the link like a send; the others go at once. */
  flood(
    targets: Iterable<Address | string>,
    frame: OutgoingFrame,
    report?: (report: TransportFloodReport) => void,
  ): void {
    if (this.#frozen) return;
    const all = [...targets];
    const held = this.#switch.isCut ? all.filter((to) => key(to) === this.#root) : [];
    for (const to of held) this.#heldOut.push(() => this.#inner.flood([to], frame));
    const now = all.filter((to) => !held.includes(to));
    this.#inner.flood(now, frame, (done) => report?.({ ...done, targets: all.length }));
  }

  disconnect(remote: Address | string): void {
    this.#inner.disconnect(remote);
  }

  framingFor(remote: Address | string): Framing {
    return this.#inner.framingFor(remote);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
