import type { Address, CodecError, Framing, Packet } from '@p2p/codec';
import type { StreamError } from './errors.js';

/** The TCP peer of an inbound connection (its ephemeral port, not its server's). */
export interface SocketPeer {
  host: string;
  port: number;
}

/** A packet read (and already acknowledged) on an inbound connection. */
export interface InboundPacket {
  packet: Packet;
  /** The framing it arrived in. */
  framing: Framing;
  /** The TCP socket's peer address; the node that sent it is `packet.source`. */
  remote: SocketPeer;
  /** This node's side of the socket: the address the remote dialled to reach it. */
  local: SocketPeer;
  /**
   * `packet.source` as `'HOST:PORT'`: the same string for every packet of a connection from one
   * source, so that it is cheap to compare and to use as a key.
   */
  from: string;
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
