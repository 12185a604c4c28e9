import type { Address, CodecError, Frame, Framing, Packet } from '@p2p/codec';
import type { StreamError } from './errors.js';

/** The TCP peer of an inbound connection (its ephemeral port, not its server's). */
export interface SocketPeer {
  host: string;
  port: number;
}

/**
 * A frame read (and already acknowledged) on an inbound connection: the `'packet'` event. The
 * transport hands on the {@link Frame} view as read; `packet` is the frame's packet, built when
 * first read (a Message's text is decoded then), for handlers that want the whole packet.
 */
export class InboundPacket {
  /** The frame as read: header fields, the body bytes, the text decoded when asked. */
  readonly frame: Frame;
  /** The TCP socket's peer address; the node that sent it is `frame.source`. */
  readonly remote: SocketPeer;
  /** This node's side of the socket: the address the remote dialled to reach it. */
  readonly local: SocketPeer;
  /**
   * `frame.source` as `'HOST:PORT'`: the same string for every frame of a connection from one
   * source, so that it is cheap to compare and to use as a key.
   */
  readonly from: string;

  constructor(frame: Frame, remote: SocketPeer, local: SocketPeer, from: string) {
    this.frame = frame;
    this.remote = remote;
    this.local = local;
    this.from = from;
  }

  /** The framing it arrived in. */
  get framing(): Framing {
    return this.frame.framing;
  }

  /** The whole packet (`frame.packet`), built on first read. */
  get packet(): Packet {
    return this.frame.packet;
  }
}

/** An outgoing connection failed; every send pending toward `address` was rejected with `error`. */
export interface UnreachableEvent {
  address: Address;
  error: StreamError;
}

/** An inbound connection produced a malformed frame and was closed. */
export interface MalformedEvent {
  remote: SocketPeer;
  error: CodecError;
}

/** The events of a {@link StreamNode}, for Node's typed EventEmitter. */
export interface StreamEvents {
  packet: [event: InboundPacket];
  unreachable: [event: UnreachableEvent];
  malformed: [event: MalformedEvent];
}
