import type { Address } from '@p2p/codec';
import type { Clock, NodeOptions, Timings, TreeNodeEvents } from '@p2p/peer';
import type { Registry } from './registry/registry.js';

/** Why the root turned nodes off. */
export type TurnOffCause = 'timeout' | 'unreachable';

export type RootNodeEvents = TreeNodeEvents & {
  /** A node registered for the first time. */
  'node-registered': [{ address: string }];
  /** A node was placed under `parent` (Advertise answered). */
  placed: [{ address: string; parent: string }];
  /** An Advertise was answered with the parent the node already had (no new position). */
  kept: [{ address: string; parent: string }];
  /**
   * Nodes left the tree: the first is the one that failed (alone, when its children's subtrees
   * were detached to re-attach), the rest a subtree turned off with it.
   */
  'turned-off': [{ addresses: string[]; cause: TurnOffCause }];
  /** A hello proved a path the root had lost: these nodes are back in the tree as it says. */
  reattached: [{ addresses: string[]; through: string }];
  /** Registrations forgotten: out of the tree and silent for longer than the forget time. */
  forgotten: [{ addresses: string[] }];
};

export interface RootNodeOptions extends NodeOptions {
  /** Its root (`RegistryOptions.root`) is the root's address: `advertise`, else the transport's. */
  registry: Registry;
  /**
   * The address the root names itself by when it is not the transport's (0.0.0.0, NAT, a
   * container): the source of every packet it sends, the parent of the nodes placed under it and
   * the origin of its Messages. Without it, a root on 0.0.0.0 answers each node from the address
   * that node dialled and names its Messages' origin by this machine's first external IPv4.
   */
  advertise?: Address | undefined;
  clock: Clock;
  /**
   * Accept a packet (any kind: Register, Advertise, hello, Message, the lossless extension's) only
   * when the address it claims has the IP of the connection it came over (anti-spoofing), else
   * drop it as `spoofed-source`. Default: on unless the root listens on loopback.
   */
  verifySourceIp?: boolean;
  /** Registrations beyond this many are refused (dropped, counted, logged). Default 100,000. */
  maxRegistered?: number;
  /**
   * The root timeout (ms): when given, nodes not heard from within it are turned off before each
   * placement too, not only at the service's periodic sweep, and a node not heard from for a
   * quarter of it (and at least two hello intervals) is believed dead: nobody is placed under it.
   */
  rootTimeout?: number;
  /** The network's hello interval (ms): a node is never believed dead within two of them. */
  helloInterval?: number;
  /** The network's timers, which the lossless extension's defaults derive from (default reference). */
  timings?: Timings;
}

/** Counters of the root role, beside the node counters of the core. */
export interface RootCounters {
  registrations: number;
  /** Advertise requests answered with a new position. */
  placements: number;
  /** Advertise requests answered with the parent the node already had (5.3.2). */
  kept: number;
  hellos: number;
  /** Nodes put back in the tree by a hello that proved their path. */
  reattached: number;
  turnedOff: Record<TurnOffCause, number>;
  /** Registrations forgotten after a long silence. */
  forgotten: number;
}
