import { type Address, formatAddress } from '@p2p/codec';

/** A hello relayed up for a node below, not answered yet. */
interface PendingRelay {
  path: readonly Address[];
  at: number;
}

/**
 * The hellos a node relayed (or could not relay) for the nodes below it and whose hello back has
 * not come down yet, one per originator. A hello lost above this node – its parent crashed with
 * it, the root restarted, the node was in reunion failure – would otherwise cost its originator a
 * whole peer timeout and a re-placement (a second wave after a failure); relaying it again once
 * the path up works again (a new parent, the root back) lets the root answer it and re-attach the
 * subtree as the path proves (protocol.md 5.6.3). Entries older than `maxAgeMs` are forgotten
 * (their originator has given up by then), and at most `capacity` are kept, oldest dropped first.
 */
export class PendingRelays {
  readonly #byOriginator = new Map<string, PendingRelay>();
  readonly #maxAgeMs: number;
  readonly #capacity: number;

  constructor(maxAgeMs: number, capacity = 4_096) {
    this.#maxAgeMs = maxAgeMs;
    this.#capacity = capacity;
  }

  /** A hello from below, as it arrived (originator first, the child that sent it last). */
  remember(path: readonly Address[], now: number): void {
    const originator = path[0];
    if (originator === undefined) return;
    const key = formatAddress(originator);
    this.#byOriginator.delete(key);
    this.#byOriginator.set(key, { path, at: now });
    if (this.#byOriginator.size > this.#capacity) {
      const oldest = this.#byOriginator.keys().next().value;
      if (oldest !== undefined) this.#byOriginator.delete(oldest);
    }
  }

  /** The hello back for `originator` passed down: its hello is answered. */
  answered(originator: string): void {
    this.#byOriginator.delete(originator);
  }

  /** The paths still waiting for an answer, oldest first; forgets those too old to matter. */
  waiting(now: number): Array<readonly Address[]> {
    const out: Array<readonly Address[]> = [];
    for (const [key, relay] of this.#byOriginator) {
      if (now - relay.at > this.#maxAgeMs) this.#byOriginator.delete(key);
      else out.push(relay.path);
    }
    return out;
  }
}
