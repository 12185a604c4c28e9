import { type Address, formatAddress, parseAddress } from '@p2p/codec';

/** A remote node's address, normalised, with its `'HOST:PORT'` key. */
export interface Remote {
  readonly address: Address;
  /** `'HOST:PORT'` with the host in plain dotted form: the one key per node. */
  readonly key: string;
}

function textOf(to: unknown): string {
  if (typeof to === 'string') return to;
  if (to !== null && typeof to === 'object') {
    const { host, port } = to as Partial<Address>;
    return `${String(host)}:${String(port)}`;
  }
  return String(to);
}

/**
 * Normalises `'HOST:PORT'` or an Address (`'127.000.000.001:5353'` and `'127.0.0.1:5353'` are the
 * same remote). Throws the codec's CodecError ERR_CODEC_ADDRESS when it is not an IPv4 address and port.
 */
export function parseRemote(to: unknown): Remote {
  // An Address goes through the same text parser as a string, so both accept the same hosts.
  const address = parseAddress(textOf(to));
  return { address, key: formatAddress(address) };
}

/**
 * Remembers recent parses: a node sends to few distinct remotes, and parsing an address on every
 * send would cost more than encoding the packet. Bounded; emptied when full.
 */
export class RemoteCache {
  readonly #limit: number;
  #entries = new Map<string, Remote>();

  constructor(limit = 4096) {
    this.#limit = limit;
  }

  /** The normalised remote; throws CodecError ERR_CODEC_ADDRESS for anything else. */
  resolve(to: unknown): Remote {
    const text = textOf(to);
    let remote = this.#entries.get(text);
    if (remote === undefined) {
      remote = parseRemote(text);
      if (this.#entries.size >= this.#limit) this.#entries.clear();
      this.#entries.set(text, remote);
    }
    return remote;
  }
}
