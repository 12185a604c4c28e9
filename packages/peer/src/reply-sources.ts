import { type Address, normaliseAddress } from '@p2p/codec';

/** Remotes whose dialled address is remembered, at most (least recently heard from forgotten first). */
const CAPACITY = 50_000;

/** 0.0.0.0 (and ::): a server bound to every interface, an address nobody can send to. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '::0';
}

/**
 * The source a node listening on a wildcard address puts in the packets it sends each remote: the
 * address that remote dialled to reach it (the local end of the remote's connection to us), with
 * the port we listen on. A receiver checks packets against the address it dialled (a peer drops a
 * RESACK whose source is not the root it knows), so 0.0.0.0 is never sent. A remote not heard from
 * yet gets the listening address: nothing better is known.
 */
export class ReplySources {
  readonly #listening: Address;
  readonly #byRemote = new Map<string, Address>();

  constructor(listening: Address) {
    this.#listening = listening;
  }

  /** Records that `from` reached us by dialling `local` (its host; the port is our server's). */
  remember(from: string, local: { host: string }): void {
    const known = this.#byRemote.get(from);
    if (known !== undefined && known.host === local.host) return;
    let source: Address;
    try {
      source = normaliseAddress({ host: local.host, port: this.#listening.port });
    } catch {
      return; // not an IPv4 address: the protocol cannot name it
    }
    this.#byRemote.delete(from);
    this.#byRemote.set(from, source);
    if (this.#byRemote.size > CAPACITY)
      this.#byRemote.delete(this.#byRemote.keys().next().value as string);
  }

  /** The source to put in packets to `to`. */
  sourceFor(to: string): Address {
    return this.#byRemote.get(to) ?? this.#listening;
  }
}
