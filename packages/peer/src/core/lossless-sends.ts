import { type Address, type Frame, type OutgoingFrame, type Packet, PacketFrame } from '@p2p/codec';
import type { NodeCounters } from '../events.js';
import type { SendPurpose } from '../lossless/lossless-link.js';
import type { DigestPacket, IdentifiedMessagePacket } from '../lossless/lossless-packets.js';
import type { Flooding } from './flooding.js';
import type { TurnFloods } from './turn-floods.js';
import type { TurnFrames } from './turn-frames.js';

/** What the sends need of the node they leave from. */
export interface SendingNode {
  readonly counters: NodeCounters;
  sourceFor(to: string): Address;
  send(to: string, packet: Packet): Promise<boolean>;
}

/**
 * What `Lossless` sends, as frames added to the turn's floods: a Message forwarded unchanged is
 * the received frame re-sourced, any other built once per turn and source; a Digest goes alone,
 * urgent.
 */
export class LosslessSends {
  readonly #node: SendingNode;
  readonly #flooding: Flooding;
  readonly #floods: TurnFloods;
  readonly #frames: TurnFrames;

  constructor(node: SendingNode, flooding: Flooding, floods: TurnFloods) {
    this.#node = node;
    this.#flooding = flooding;
    this.#floods = floods;
    this.#frames = floods.frames;
  }

  /** An Identified Message or a Digest for `to`; `incoming`: the frame being received, if any. */
  send(
    to: string,
    packet: IdentifiedMessagePacket | DigestPacket,
    purpose: SendPurpose,
    incoming: Frame | undefined,
  ): void {
    const node = this.#node;
    if (packet.kind === 'digest') {
      // Urgent, ahead of the Messages already queued for `to` (10.1.5); from the address `to`
      // knows this node by (the Digest names the origin, which may not be it).
      void node.send(to, { ...packet, source: node.sourceFor(to) });
      return;
    }
    const forwarded =
      purpose === 'forward' &&
      incoming?.identity !== undefined &&
      incoming.identity.seq === packet.seq &&
      incoming.identity.epoch === packet.epoch;
    const source = node.sourceFor(to);
    const key = forwarded ? incoming : packet;
    let frame = this.#frames.built(key, source);
    if (frame === undefined) {
      frame = forwarded ? incoming.withSource(source) : new PacketFrame({ ...packet, source });
      this.#frames.remember(key, source, frame);
    }
    if (purpose === 'forward') node.counters.messagesForwarded++;
    this.#floods.add(frame, to, 'identified-message');
  }

  /**
   * A plain Message of `text` for `to`, if it fits; `incoming`: the frame being received, if any,
   * from `incomingFrom`.
   */
  sendPlain(
    to: string,
    text: string,
    purpose: SendPurpose,
    incoming: Frame | undefined,
    incomingFrom: string,
  ): void {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (!this.#flooding.fits(to, bytes, incoming === undefined ? '' : incomingFrom)) return;
    const node = this.#node;
    const source = node.sourceFor(to);
    let frame: OutgoingFrame | undefined;
    if (purpose === 'replay') {
      // Each replayed entry its own frame: frames shared by text would merge equal texts in
      // the turn's batch and send a, b, a as a, a, b.
      frame = new PacketFrame({ kind: 'message', source, text });
    } else {
      const forwarded =
        incoming !== undefined && incoming.identity === undefined && purpose === 'forward';
      const key = forwarded ? incoming : text;
      frame = this.#frames.built(key, source);
      if (frame === undefined) {
        frame = forwarded
          ? incoming.withSource(source)
          : new PacketFrame({ kind: 'message', source, text });
        this.#frames.remember(key, source, frame);
      }
    }
    if (purpose === 'forward') node.counters.messagesForwarded++;
    this.#floods.add(frame, to, 'message');
  }
}
