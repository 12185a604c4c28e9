import { EventEmitter } from 'node:events';
import type { BedHost } from './bed.js';
import type { ServiceAddress } from './service-address.js';

/** A host that may hold the service address, and the health check of the service on it. */
export interface MoverCandidate {
  host: BedHost;
  /** The HTTP status of the service's health check (200: it leads); rejects when nothing answers. */
  health: () => Promise<number>;
}

/** One move: the host given the address (null: taken away, nobody leads), and when (ms epoch). */
export interface AddressMove {
  to: string | null;
  at: number;
}

export interface AddressMoverEvents {
  moved: [AddressMove];
  /** A check has finished (and the move it decided on, if any). */
  checked: [];
}

/**
 * What keepalived does for active/standby roots, reduced to its decision: every `everyMs` it checks
 * each candidate (the root's `/healthz` answers 200 from the leader only, 503 from a standby) and
 * gives the service address to the one that leads; a holder whose check fails loses it. keepalived
 * runs on every host and agrees over VRRP; here one loop decides for all of them.
 */
export class AddressMover extends EventEmitter<AddressMoverEvents> {
  readonly moves: AddressMove[] = [];
  /** Checks finished so far. */
  checks = 0;
  readonly #address: ServiceAddress;
  readonly #candidates: readonly MoverCandidate[];
  readonly #everyMs: number;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> = Promise.resolve();
  #stopped = false;
  /** The last error of a move (an `ip` command that failed), for the messages of waits. */
  #failure: Error | undefined;

  constructor(address: ServiceAddress, candidates: readonly MoverCandidate[], everyMs = 100) {
    super();
    this.#address = address;
    this.#candidates = candidates;
    this.#everyMs = everyMs;
  }

  /** Starts checking (at once, then every `everyMs`). */
  start(): this {
    this.#schedule(0);
    return this;
  }

  /** Stops checking; resolves once a check under way has finished. The address stays where it is. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#tick;
  }

  /** Resolves when `host` holds the address (at once if it does); rejects after `ms`. */
  untilHeldBy(host: string, ms: number): Promise<void> {
    if (this.#address.holder?.name === host) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onMoved = (move: AddressMove) => {
        if (move.to !== host) return;
        clearTimeout(timer);
        this.off('moved', onMoved);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('moved', onMoved);
        const failure =
          this.#failure === undefined ? '' : `; last failure: ${this.#failure.message}`;
        reject(new Error(`the service address did not move to ${host} within ${ms} ms${failure}`));
      }, ms);
      this.on('moved', onMoved);
    });
  }

  /** Resolves once `count` more checks have finished; rejects after `ms`. */
  untilChecked(count: number, ms: number): Promise<void> {
    const target = this.checks + count;
    return new Promise((resolve, reject) => {
      const onChecked = () => {
        if (this.checks < target) return;
        clearTimeout(timer);
        this.off('checked', onChecked);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('checked', onChecked);
        reject(new Error(`${count} checks did not finish within ${ms} ms`));
      }, ms);
      this.on('checked', onChecked);
    });
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#check().finally(() => {
        this.checks++;
        this.emit('checked');
        this.#schedule(this.#everyMs);
      });
    }, delay);
  }

  async #check(): Promise<void> {
    const statuses = await Promise.all(
      this.#candidates.map((c) => c.health().catch(() => undefined)),
    );
    if (this.#stopped) return;
    const leaders = this.#candidates.filter((_, i) => statuses[i] === 200).map((c) => c.host);
    const holder = this.#address.holder;
    if (holder !== undefined && leaders.some((h) => h.namespace === holder.namespace)) return;
    try {
      const [leader] = leaders;
      if (leaders.length === 1 && leader !== undefined) {
        await this.#address.moveTo(leader);
        this.#record(leader.name);
      } else if (holder !== undefined) {
        await this.#address.release();
        this.#record(null);
      }
    } catch (error) {
      this.#failure = error as Error;
    }
  }

  #record(to: string | null): void {
    const move = { to, at: Date.now() };
    this.moves.push(move);
    this.emit('moved', move);
  }
}
