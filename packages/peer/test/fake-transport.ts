import { EventEmitter } from 'node:events';
import {
  type Address,
  decodeFrame,
  encode,
  type Frame,
  type Framing,
  formatAddress,
  type OutgoingFrame,
  type Packet,
  parseAddress,
} from '@p2p/codec';
import type {
  Transport,
  TransportError,
  TransportFloodReport,
  TransportPacket,
  TransportUnreachable,
} from '../src/index.js';

export interface SentPacket {
  to: string;
  packet: Packet;
  urgent?: boolean;
}

/** What was sent, as a packet: an outgoing frame is written (binary) and read back. */
function packetOf(what: Packet | OutgoingFrame): Packet {
  return 'bytes' in what ? decodeFrame(what.bytes('binary')).packet : what;
}

/** An in-memory transport: records what is sent, lets the test deliver packets and failures. */
export class FakeTransport
  extends EventEmitter<{ packet: [TransportPacket]; unreachable: [TransportUnreachable] }>
  implements Transport
{
  readonly address: Address;
  readonly sent: SentPacket[] = [];
  /** Every flood: its targets and the frame handed to them (its sends are in `sent` too). */
  readonly floods: Array<{ targets: string[]; frame: OutgoingFrame }> = [];
  readonly disconnected: string[] = [];
  /** Remotes whose sends fail (as if refused). */
  readonly down = new Set<string>();
  /** Remotes whose sends are recorded but never settle (a stopped node that never ACKs). */
  readonly stalled = new Set<string>();
  /** Remotes whose sends wait until `release(remote)` (a slow ACK, or one that never comes). */
  readonly held = new Set<string>();
  readonly #releases = new Map<string, Array<(error?: Error) => void>>();
  /** The framing each remote is spoken to in (default binary). */
  readonly framings = new Map<string, Framing>();
  closed = false;

  constructor(address: string) {
    super();
    this.address = parseAddress(address);
  }

  async send(
    to: Address | string,
    what: Packet | OutgoingFrame,
    options?: { urgent?: boolean },
  ): Promise<void> {
    const key = typeof to === 'string' ? formatAddress(parseAddress(to)) : formatAddress(to);
    if (this.closed) throw Object.assign(new Error('closed'), { code: 'ERR_STREAM_NODE_CLOSED' });
    if (this.down.has(key))
      throw Object.assign(new Error(`connect ECONNREFUSED ${key}`), {
        code: 'ERR_STREAM_REFUSED',
        remote: key,
      });
    this.sent.push({
      to: key,
      packet: packetOf(what),
      ...(options?.urgent ? { urgent: true } : {}),
    });
    if (this.stalled.has(key)) await new Promise<never>(() => {});
    if (this.held.has(key)) {
      await new Promise<void>((resolve, reject) => {
        const waiting = this.#releases.get(key) ?? [];
        waiting.push((error) => (error === undefined ? resolve() : reject(error)));
        this.#releases.set(key, waiting);
      });
    }
  }

  /** Each target as one `send`; `report` once every one has settled. */
  flood(
    targets: Iterable<Address | string>,
    frame: OutgoingFrame,
    report?: (report: TransportFloodReport) => void,
  ): void {
    const list = [...targets].map((to) => (typeof to === 'string' ? to : formatAddress(to)));
    this.floods.push({ targets: list, frame });
    const sends = list.map((to) => this.send(to, frame));
    void Promise.allSettled(sends).then((settled) => {
      const failures = settled.flatMap((result) =>
        result.status === 'rejected' ? [result.reason as TransportError] : [],
      );
      report?.({ targets: sends.length, acknowledged: sends.length - failures.length, failures });
    });
  }

  /**
   * Settles the held sends to `remote`, oldest first: acknowledged, or failed with `code` (an
   * `ACK` that never came, say; the test reports the connection's failure itself, with `fail`).
   */
  release(remote: string, code?: string): void {
    const error =
      code === undefined
        ? undefined
        : Object.assign(new Error(`send to ${remote} failed (${code})`), { code, remote });
    for (const settleSend of this.#releases.get(remote) ?? []) settleSend(error);
    this.#releases.delete(remote);
  }

  disconnect(remote: Address | string): void {
    this.disconnected.push(typeof remote === 'string' ? remote : formatAddress(remote));
  }

  framingFor(remote: Address | string): Framing {
    const key = typeof remote === 'string' ? remote : formatAddress(remote);
    return this.framings.get(key) ?? 'binary';
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * Delivers a packet as if it arrived from `packet.source` (or over a connection from another
   * host, `over`), which dialled our `local` host when given. Returns the frame delivered.
   */
  deliver(packet: Packet, connection: { over?: string; local?: string } = {}): Frame {
    const frame = decodeFrame(encode(packet, 'binary'));
    this.emit('packet', {
      frame,
      remote: { host: connection.over ?? packet.source.host, port: 40000 },
      ...(connection.local === undefined
        ? {}
        : { local: { host: connection.local, port: this.address.port } }),
      from: formatAddress(packet.source),
    });
    return frame;
  }

  fail(address: string, code = 'ERR_STREAM_RESET'): void {
    this.emit('unreachable', {
      address: parseAddress(address),
      error: Object.assign(new Error(`connection to ${address} failed (${code})`), { code }),
    });
  }

  /** Sent packets of one kind (and optionally to one remote), removing them from the log. */
  take(kind: Packet['kind'], to?: string): SentPacket[] {
    const taken = this.sent.filter(
      (s) => s.packet.kind === kind && (to === undefined || s.to === to),
    );
    for (const item of taken) this.sent.splice(this.sent.indexOf(item), 1);
    return taken;
  }
}

export const addr = (text: string): Address => parseAddress(text);

/** Lets promise callbacks (sends, joins) run. Not a sleep: no time passes on any clock. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Starts `peer` joining and answers as the root would: RESACK, then an Advertise response placing
 * it under `parent`.
 */
export async function placeUnder(
  peer: { begin(): void },
  transport: FakeTransport,
  root: string,
  parent: string,
): Promise<void> {
  peer.begin();
  await settle();
  transport.deliver({ kind: 'register-response', source: addr(root) });
  await settle();
  transport.deliver({ kind: 'advertise-response', source: addr(root), parent: addr(parent) });
  await settle();
}

/** The promise's rejection; a resolution fails the test. */
export function rejectionOf<E = Error & { code?: string }>(promise: Promise<unknown>): Promise<E> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error: E) => error,
  );
}
