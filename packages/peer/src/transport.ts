import type { Address, Framing, Packet } from '@p2p/codec';

/** What a node needs from its transport; `StreamNode` of @p2p/stream is the real one. */
export interface Transport {
  readonly address: Address;
  /** `urgent`: ahead of the packets already waiting for that remote (heartbeats, control). */
  send(to: Address | string, packet: Packet, options?: { urgent?: boolean }): Promise<void>;
  /**
   * `send` without a promise: `settled` is called once, with an error if the send failed. Used to
   * forward floods, where nobody waits on each packet.
   */
  post(
    to: Address | string,
    packet: Packet,
    options: { urgent?: boolean },
    settled: (error?: Error & { code?: string }) => void,
  ): void;
  disconnect(remote: Address | string): void;
  framingFor(remote: Address | string): Framing;
  on(event: 'packet', listener: (event: TransportPacket) => void): unknown;
  on(event: 'unreachable', listener: (event: TransportUnreachable) => void): unknown;
  off(event: 'packet', listener: (event: TransportPacket) => void): unknown;
  off(event: 'unreachable', listener: (event: TransportUnreachable) => void): unknown;
  close(): Promise<void>;
}

export interface TransportPacket {
  packet: Packet;
  framing: Framing;
  remote: { host: string; port: number };
  /** This node's side of that connection: the address the remote dialled (when known). */
  local?: { host: string; port: number };
  /** `packet.source` as `'HOST:PORT'`. */
  from: string;
}

export interface TransportUnreachable {
  address: Address;
  error: Error & { code?: string };
}
