import { type DecodedFrame, formatAddress } from '@p2p/codec';

/** A decoded frame as plain JSON, addresses as 'HOST:PORT'. */
export function frameToJson({ packet, framing }: DecodedFrame): Record<string, unknown> {
  const json: Record<string, unknown> = {
    framing,
    kind: packet.kind,
    source: formatAddress(packet.source),
  };
  switch (packet.kind) {
    case 'register-request':
      json.address = formatAddress(packet.address);
      break;
    case 'advertise-response':
      json.parent = formatAddress(packet.parent);
      break;
    case 'message':
      json.text = packet.text;
      break;
    case 'reunion-hello':
    case 'reunion-hello-back':
      json.path = packet.path.map(formatAddress);
      break;
    case 'capabilities-offer':
    case 'capabilities-answer':
      json.capabilities = packet.capabilities;
      break;
    case 'identified-message':
      json.author = packet.author;
      json.start = packet.start;
      json.origin = formatAddress(packet.origin);
      json.epoch = packet.epoch;
      json.seq = packet.seq;
      json.text = packet.text;
      break;
    case 'digest':
      json.fresh = packet.fresh;
      json.entries = packet.entries.map(({ origin, epoch, hwm }) => ({
        origin: formatAddress(origin),
        epoch,
        hwm,
      }));
      break;
    default:
      break;
  }
  return json;
}
