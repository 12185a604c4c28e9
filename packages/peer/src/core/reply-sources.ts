import { type Address, isLoopbackHost, normaliseAddress, plainHost } from '@p2p/codec';

/**
 * Remotes whose dialled address is remembered, at most: as many as a root registers by default
 * (`maxRegistered`, 100,000). Beyond it the least recently heard from is forgotten, and gets the
 * fallback of `sourceFor` until it speaks again.
 */
export const REPLY_SOURCES_CAPACITY = 100_000;

/**
 * The source a node listening on a wildcard address (0.0.0.0) puts in the packets it sends each
 * remote: the address that remote dialled to reach it (the local end of the remote's connection to
 * us), with the port we listen on. A receiver checks packets against the address it dialled (a peer
 * drops a RESACK whose source is not the root it knows), so 0.0.0.0 is never sent to a remote
 * heard from.
 */
export class ReplySources {
  readonly #listening: Address;
  readonly #loopback: Address;
  readonly #capacity: number;
  /** In the order last heard from, oldest first. */
  readonly #byRemote = new Map<string, Address>();

  constructor(listening: Address, capacity = REPLY_SOURCES_CAPACITY) {
    this.#listening = listening;
    this.#loopback = { host: '127.0.0.1', port: listening.port };
    this.#capacity = capacity;
  }

  /**
   * A packet claiming to be from `from` (host `claimedHost`) came over a connection from `remote`
   * that dialled our `local` address. A packet names its source itself: only when the
   * connection's IP is the claimed one (as the root's source-IP check) is it remembered, so that a
   * spoofed packet cannot change what another node is answered from.
   */
  heard(
    from: string,
    claimedHost: string,
    remote: { host: string },
    local: { host: string },
  ): void {
    if (claimedHost !== plainHost(remote.host)) return;
    let source = this.#byRemote.get(from);
    if (source === undefined || source.host !== plainHost(local.host)) {
      try {
        source = normaliseAddress({ host: plainHost(local.host), port: this.#listening.port });
      } catch {
        return; // not an IPv4 address: the protocol cannot name it
      }
    }
    this.#byRemote.delete(from); // re-inserted last: the most recently heard from
    this.#byRemote.set(from, source);
    if (this.#byRemote.size > this.#capacity)
      this.#byRemote.delete(this.#byRemote.keys().next().value as string);
  }

  /**
   * The source to put in packets to `to`. A remote not heard from since this node started (a child
   * restored from the root's store, before its next hello): a node on this machine dialled
   * loopback, since a peer listening on loopback must have a loopback root; for any other, nothing
   * better than the listening address is known until it speaks (within a hello interval).
   */
  sourceFor(to: string): Address {
    const known = this.#byRemote.get(to);
    if (known !== undefined) return known;
    return isLoopbackHost(to.slice(0, to.lastIndexOf(':'))) ? this.#loopback : this.#listening;
  }
}
