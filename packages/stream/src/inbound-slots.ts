import { isLoopbackHost, plainHost } from '@p2p/codec';
import type { InboundConnection } from './inbound-connection.js';

/** What to do with a new inbound connection from some host. */
export type Admission =
  | { kind: 'admit' }
  | {
      kind: 'evict';
      victim: InboundConnection;
      reason: 'silent' | 'probe' | 'host-limit' | 'busiest-host';
    }
  | { kind: 'refuse' };

export interface SlotLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Loopback hosts are not held to maxConnectionsPerIp (local tests and benches run hundreds). */
  exemptLoopback: boolean;
}

const notProven = (connection: InboundConnection): boolean => !connection.proven;
const isProbe = (connection: InboundConnection): boolean => connection.probe;

/**
 * The accepted connections, counted per remote IP, and who makes room for a newcomer
 * (protocol.md section 4). An accepted connection is never closed for being idle, only to make
 * room: first a connection that never delivered a frame (oldest first), then a probe's connection
 * (oldest first: it carries nothing after its offer, 10.1.2); then, at a host's own
 * limit, that host's longest-idle connection; at the global limit, the longest-idle connection of
 * the host holding the most slots, when that host is the newcomer's own or holds at least two
 * more than the newcomer's. So a few hosts cannot fill the table and lock everyone else out, and
 * an honest host is closed only when it holds as many slots as the busiest.
 */
export class InboundSlots {
  readonly #all = new Set<InboundConnection>();
  readonly #perHost = new Map<string, number>();
  readonly #limits: SlotLimits;

  constructor(limits: SlotLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#all.size;
  }

  values(): IterableIterator<InboundConnection> {
    return this.#all.values();
  }

  add(connection: InboundConnection): void {
    if (this.#all.has(connection)) return;
    this.#all.add(connection);
    const host = plainHost(connection.remote.host);
    this.#perHost.set(host, (this.#perHost.get(host) ?? 0) + 1);
  }

  delete(connection: InboundConnection): boolean {
    if (!this.#all.delete(connection)) return false;
    const host = plainHost(connection.remote.host);
    const count = (this.#perHost.get(host) ?? 1) - 1;
    if (count === 0) this.#perHost.delete(host);
    else this.#perHost.set(host, count);
    return true;
  }

  /** Whether a newcomer from `remoteHost` fits, which connection makes room for it, or neither. */
  admit(remoteHost: string): Admission {
    const host = plainHost(remoteHost);
    const own = this.#perHost.get(host) ?? 0;
    const { maxConnections, maxConnectionsPerIp, exemptLoopback } = this.#limits;
    if (own >= maxConnectionsPerIp && !(exemptLoopback && isLoopbackHost(host))) {
      const victim =
        this.#oldest(notProven, host) ?? this.#oldest(isProbe, host) ?? this.#longestIdle(host);
      return victim === undefined
        ? { kind: 'refuse' }
        : { kind: 'evict', victim, reason: 'host-limit' };
    }
    if (this.#all.size < maxConnections) return { kind: 'admit' };
    const silent = this.#oldest(notProven);
    if (silent !== undefined) return { kind: 'evict', victim: silent, reason: 'silent' };
    const probe = this.#oldest(isProbe);
    if (probe !== undefined) return { kind: 'evict', victim: probe, reason: 'probe' };
    // Ties go to the newcomer's own host: it then replaces one of its own connections.
    let busiest = own > 0 ? host : undefined;
    let most = own;
    for (const [other, count] of this.#perHost) {
      if (count > most) {
        busiest = other;
        most = count;
      }
    }
    if (busiest === undefined || (busiest !== host && most < own + 2)) return { kind: 'refuse' };
    const victim = this.#longestIdle(busiest);
    return victim === undefined
      ? { kind: 'refuse' }
      : { kind: 'evict', victim, reason: 'busiest-host' };
  }

  /** The oldest connection that `matches` (of `host`, when given). */
  #oldest(
    matches: (connection: InboundConnection) => boolean,
    host?: string,
  ): InboundConnection | undefined {
    let oldest: InboundConnection | undefined;
    for (const connection of this.#all) {
      if (!matches(connection)) continue;
      if (host !== undefined && plainHost(connection.remote.host) !== host) continue;
      if (oldest === undefined || connection.openedAt < oldest.openedAt) oldest = connection;
    }
    return oldest;
  }

  /** The connection of `host` that has gone longest without delivering a frame. */
  #longestIdle(host: string): InboundConnection | undefined {
    let idlest: InboundConnection | undefined;
    for (const connection of this.#all) {
      if (plainHost(connection.remote.host) !== host) continue;
      if (idlest === undefined || connection.lastFrameAt < idlest.lastFrameAt) idlest = connection;
    }
    return idlest;
  }
}
