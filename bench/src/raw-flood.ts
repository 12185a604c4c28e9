/**
 * The reference: a minimal flood over plain `node:net` sockets in the same binary-tree shape as
 * the network (node 0 the root, node i's children 2i+1 and 2i+2), in this process. Each node has
 * a TCP server and one outgoing connection per neighbour; a frame is the protocol's 20-byte binary
 * header plus body; the receiver writes a 3-byte ACK per frame, then hands the body over and
 * forwards a copy with itself as source to every other neighbour. A sender keeps at most `window`
 * frames unacknowledged per connection (1: lock-step). No encoding of addresses, no objects per
 * packet, no promises: the speed limit of any JavaScript implementation on this machine.
 */
import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { clock } from './clock.js';
import type { Flood, FloodRun, OriginKind } from './flood.js';
import type { BurstResult } from './host-protocol.js';
import { MESSAGE_BYTES, messageText, parseMessage, parseMessageBytes } from './message.js';
import { frameEnd, HEADER, RawLink, serveFrames } from './raw-net.js';
import { RunWatch } from './run-watch.js';
import { DeliveryTracker } from './tracker.js';

/**
 * What a raw node does with each Message body. `bytes`: reads the run and sequence number straight
 * from them (the speed limit). `text`: first does what every node must do to hand a Message to an
 * application (the body checked as UTF-8 and decoded, given to a `message` event listener, one
 * emitter per node as our peers have), then reads them from the text: the most any node that
 * delivers texts can reach.
 */
export type RawDelivery = 'bytes' | 'text';

/** A node of the raw flood. */
class RawNode {
  readonly index: number;
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  links: RawLink[] = [];
  port = 0;
  /** The 20-byte header of a Message from this node, body length to be filled in. */
  readonly #header = Buffer.alloc(HEADER);
  onDeliver: (body: Buffer, at: number) => void = () => {};

  constructor(index: number) {
    this.index = index;
    this.server = net.createServer((socket) => this.#accept(socket));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    const h = this.#header;
    h.writeUInt16BE(1, 0);
    h.writeUInt16BE(4, 2);
    [127, 0, 0, 1].forEach((octet, i) => {
      h.writeUInt16BE(octet, 8 + 2 * i);
    });
    h.writeUInt32BE(this.port, 16);
  }

  /** A Message frame from this node whose body is bytes [start, end) of `source`. */
  frame(source: Buffer, start: number, end: number): Buffer {
    const frame = Buffer.allocUnsafe(HEADER + end - start);
    this.#header.copy(frame, 0);
    frame.writeUInt32BE(end - start, 4);
    source.copy(frame, HEADER, start, end);
    return frame;
  }

  /** Sends a frame to every neighbour but the one whose server port is `exceptPort`. */
  flood(frame: Buffer, exceptPort: number): void {
    for (const link of this.links) if (link.remotePort !== exceptPort) link.send(frame);
  }

  #accept(socket: net.Socket): void {
    serveFrames(socket, this.sockets, (bytes, starts) => {
      const time = clock();
      for (const start of starts) {
        const end = frameEnd(bytes, start);
        this.onDeliver(bytes.subarray(start + HEADER, end), time);
        if (this.links.length > 1)
          this.flood(this.frame(bytes, start + HEADER, end), bytes.readUInt32BE(start + 16));
      }
    });
  }
}

/** The raw reference tree of `size` + 1 nodes. */
export class RawFlood implements Flood {
  readonly nodes: RawNode[];
  readonly window: number;
  /** Writes batched per connection and event-loop turn (see {@link RawLink}). */
  readonly batched: boolean;
  #runs = 0;
  #tracker: DeliveryTracker | undefined;
  #origin = -1;

  private constructor(nodes: RawNode[], window: number, batched: boolean, delivery: RawDelivery) {
    this.nodes = nodes;
    this.window = window;
    this.batched = batched;
    for (const node of nodes) {
      const deliver = (parsed: [number, number] | undefined, at: number): void => {
        const tracker = this.#tracker;
        if (tracker === undefined || parsed === undefined || parsed[0] !== tracker.spec.run) return;
        if (node.index === this.#origin) return;
        const receiver = node.index < this.#origin ? node.index : node.index - 1;
        tracker.deliver(receiver, parsed[1], at);
      };
      if (delivery === 'bytes') {
        node.onDeliver = (body, at) => deliver(parseMessageBytes(body, 0), at);
        continue;
      }
      const events = new EventEmitter<{ message: [{ text: string; at: number }] }>();
      events.on('message', ({ text, at }) => deliver(parseMessage(text), at));
      node.onDeliver = (body, at) => {
        if (isUtf8(body)) events.emit('message', { text: body.toString('utf8'), at });
      };
    }
  }

  /**
   * Starts `size` + 1 raw nodes and connects every tree edge both ways; `batched`: every link
   * writes once per event-loop turn (the horizon's reference); `delivery`: see {@link RawDelivery}.
   */
  static async start(
    size: number,
    window: number,
    batched = false,
    delivery: RawDelivery = 'bytes',
  ): Promise<RawFlood> {
    const nodes = Array.from({ length: size + 1 }, (_, i) => new RawNode(i));
    await Promise.all(nodes.map((node) => node.listen()));
    const links: Promise<void>[] = [];
    for (const node of nodes) {
      const i = node.index;
      const neighbours = [i === 0 ? -1 : (i - 1) >> 1, 2 * i + 1, 2 * i + 2].filter(
        (j) => j >= 0 && j <= size,
      );
      node.links = neighbours.map((j) => new RawLink((nodes[j] as RawNode).port, window, batched));
      links.push(...node.links.map((link) => link.connected()));
    }
    await Promise.all(links);
    return new RawFlood(nodes, window, batched, delivery);
  }

  /** Node 0, or the last node (a leaf at the greatest depth). */
  origin(kind: OriginKind): string {
    return String(kind === 'root' ? 0 : this.nodes.length - 1);
  }

  async begin(origin: string, messages: number): Promise<FloodRun> {
    const run = ++this.#runs;
    const from = this.nodes[Number(origin)] as RawNode;
    const watch = new RunWatch(run, messages, 1);
    this.#origin = from.index;
    this.#tracker = new DeliveryTracker(
      { run, messages, origin },
      this.nodes.length - 1,
      (seq, at) => watch.complete([seq], [at]),
    );
    const originate = (seq: number): void => {
      const body = Buffer.from(messageText(run, seq), 'latin1');
      from.flood(from.frame(body, 0, MESSAGE_BYTES), -1);
    };
    return {
      watch,
      send: async (seq) => {
        const at = clock();
        originate(seq);
        return at;
      },
      burst: async (): Promise<BurstResult> => {
        const firstAt = clock();
        for (let seq = 0; seq < messages; seq++) originate(seq);
        return { firstAt, lastAt: clock(), failed: 0 };
      },
      summary: async () => (this.#tracker as DeliveryTracker).summary(),
    };
  }

  async close(): Promise<void> {
    for (const node of this.nodes) {
      for (const link of node.links) link.socket.destroy();
      for (const socket of node.sockets) socket.destroy();
    }
    await Promise.all(
      this.nodes.map((node) => new Promise<void>((resolve) => node.server.close(() => resolve()))),
    );
  }
}
