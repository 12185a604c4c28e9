import type { Address, Frame, Framing, OutgoingFrame, Packet } from '@p2p/codec';

/** An error of the transport: a code, and the remote it concerns when known. */
export type TransportError = Error & { code?: string; remote?: string };

/** How one flood went, reported once after every target settled. */
export interface TransportFloodReport {
  /** Targets the frame was handed to (or refused for). */
  targets: number;
  /** Targets that acknowledged it. */
  acknowledged: number;
  /** Why each other target failed; `remote` names it. Read-only (often shared). */
  failures: readonly TransportError[];
}

/** What a node needs from its transport; `StreamNode` of @p2p/stream is the real one. */
export interface Transport {
  readonly address: Address;
  /**
   * One packet (or a frame that encodes itself per framing) to one node; resolves on its ACK.
   * `urgent`: ahead of the packets already waiting for that remote (heartbeats, control).
   */
  send(
    to: Address | string,
    what: Packet | OutgoingFrame,
    options?: { urgent?: boolean },
  ): Promise<void>;
  /**
   * One frame to many nodes, each in its own framing, encoded at most once per framing; `report`
   * is called once after every target settled (no promise nor callback per target).
   */
  flood(
    targets: Iterable<Address | string>,
    frame: OutgoingFrame,
    report?: (report: TransportFloodReport) => void,
  ): void;
  disconnect(remote: Address | string): void;
  /** The per-remote send queue limits (none: the stream's defaults, 16,384 frames and 8 MiB). */
  readonly queueLimits?: { maxQueue: number; maxQueueBytes: number };
  /**
   * Lossless extension (docs/protocol.md 10.1.2, 10.1.7); a transport without these
   * never negotiates: every edge stays version 1.
   * The send window towards `remote` (undefined: the configured one).
   */
  setWindow?(remote: Address | string, window: number | undefined): void;
  /**
   * The Capabilities answer written back to an offer that opens a connection (undefined: none);
   * `accept`, if given, decides per offer (its frame, the connection's TCP peer): `false` leaves
   * that offer unanswered, acknowledged only.
   */
  answerOffers?(
    answer: Packet | undefined,
    accept?: (offer: Frame, remote: { host: string; port: number }) => boolean,
  ): void;
  /** Writes `offer` alone on a throw-away connection to `to` and reads what comes back. */
  probe?(to: Address | string, offer: Packet): Promise<TransportProbeResult>;
  framingFor(remote: Address | string): Framing;
  on(event: 'packet', listener: (event: TransportPacket) => void): unknown;
  on(event: 'unreachable', listener: (event: TransportUnreachable) => void): unknown;
  off(event: 'packet', listener: (event: TransportPacket) => void): unknown;
  off(event: 'unreachable', listener: (event: TransportUnreachable) => void): unknown;
  close(): Promise<void>;
}

/** How a probe ended (the stream's `ProbeResult`). */
export type TransportProbeResult =
  | { outcome: 'acknowledged' }
  | { outcome: 'answered'; packet: Packet }
  | { outcome: 'refused'; error: TransportError };

/** A frame read from a remote (the stream's `InboundPacket`). */
export interface TransportPacket {
  /** The frame as read: header fields parsed, the body kept, a Message's text decoded lazily. */
  frame: Frame;
  remote: { host: string; port: number };
  /** This node's side of that connection: the address the remote dialled (when known). */
  local?: { host: string; port: number };
  /** `frame.source` as `'HOST:PORT'`. */
  from: string;
}

export interface TransportUnreachable {
  address: Address;
  error: TransportError;
}
