import { type Address, formatAddress, isWildcardHost, parseAddress } from '@p2p/codec';
import { PeerError } from '../errors.js';

/** The root option: one address, 'A,B', or a list (active/standby roots). */
export type RootOption = string | Address | readonly (string | Address)[];

/**
 * The root addresses a peer was given, and the one it talks to now. Several roots (active/standby
 * on one database, each on its own address): the peer talks to one at a time and moves to the
 * next, round-robin, when that one cannot be reached; a standby does not listen, so the one that
 * answers leads. A packet from any of them is a packet from the root.
 */
export class RootAddresses {
  /** Every root address, 'HOST:PORT', in the order given. */
  readonly all: readonly string[];
  readonly #set: ReadonlySet<string>;
  #current = 0;

  constructor(option: RootOption) {
    const items = typeof option === 'string' ? option.split(',') : [option].flat();
    const all: string[] = [];
    for (const item of items) {
      const address = formatAddress(parseRootAddress(item));
      if (!all.includes(address)) all.push(address);
    }
    if (all.length === 0)
      throw new PeerError('ERR_PEER_INVALID_OPTIONS', 'give at least one root address');
    this.all = all;
    this.#set = new Set(all);
  }

  /** The root the peer talks to now. */
  get current(): string {
    return this.all[this.#current] as string;
  }

  /** The current root, parsed. */
  get currentAddress(): Address {
    return parseAddress(this.current);
  }

  get count(): number {
    return this.all.length;
  }

  /** Is `address` one of the roots? */
  has(address: string | null): boolean {
    return address !== null && this.#set.has(address);
  }

  /** Moves to the next root (round-robin) and returns it. */
  next(): string {
    this.#current = (this.#current + 1) % this.all.length;
    return this.current;
  }

  /** Makes `address` (one of the roots) the current one: it answered, so it leads. */
  use(address: string): void {
    const index = this.all.indexOf(address);
    if (index >= 0) this.#current = index;
  }
}

/** One root address: one that can be dialled (not port 0, not a wildcard). */
function parseRootAddress(value: string | Address): Address {
  let address: Address;
  try {
    address = typeof value === 'string' ? parseAddress(value.trim()) : value;
  } catch (error) {
    throw new PeerError(
      'ERR_PEER_INVALID_OPTIONS',
      `invalid root address: ${(error as Error).message}`,
    );
  }
  if (address.port === 0) {
    throw new PeerError(
      'ERR_PEER_INVALID_OPTIONS',
      `invalid root address ${formatAddress(address)}: give the port the root listens on, not 0`,
    );
  }
  if (isWildcardHost(address.host)) {
    throw new PeerError(
      'ERR_PEER_INVALID_OPTIONS',
      `invalid root address ${formatAddress(address)}: ${address.host} is where a root listens, ` +
        `not an address to dial; give 127.0.0.1:${address.port} for a root on this machine, or ` +
        `the root machine's IP address`,
    );
  }
  return address;
}
