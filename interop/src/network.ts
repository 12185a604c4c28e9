import type { Framing } from '@p2p/codec';
import { Peer, type Timings } from '@p2p/peer';
import { RootServer, type RootServerOptions } from '@p2p/root-server';
import { type InboundPacket, StreamNode, type StreamNodeOptions } from '@p2p/stream';
import { ReferenceNode } from './reference-node.js';

/** Generous: a reference node acts every 2 s (its main loop sleeps) and the CI machine is loaded. */
export const STEP_TIMEOUT = 30_000;

/**
 * Our root's timers in a mixed network: reference peers send a hello every 4 s, answered only
 * after up to 2 s in each reference node's main loop on the way, so the root gives them 15 s.
 */
export const MIXED_ROOT_TIMINGS: Partial<Timings> = { rootTimeout: 15_000 };

/** One of our peers, with the framing of every frame its server received. */
export interface OurPeer {
  peer: Peer;
  /** Its transport, for what only the transport tells (an `'unreachable'` remote and why). */
  transport: StreamNode;
  address: string;
  /** Framings of the frames received, by the sender's address. */
  framingsFrom: Map<string, Set<Framing>>;
  /** Messages delivered to it, by text. */
  messages: string[];
}

/** Any event emitter: sockets, our nodes (typed emitters), reference nodes. */
interface Listenable {
  // biome-ignore lint/suspicious/noExplicitAny: listener types differ from one emitter to another
  on(event: string, listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** Resolves with the first `event` for which `accept` holds; rejects after `timeoutMs`. */
export function waitForEvent<T>(
  emitter: Listenable,
  event: string,
  accept: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (value: T): void => {
      if (!accept(value)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(value);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}

/** Resolves once `condition()` holds, checking whenever `emitter` emits `event`. */
export function until(
  emitter: Listenable,
  event: string,
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  if (condition()) return Promise.resolve();
  return waitForEvent(emitter, event, () => condition(), timeoutMs, what).then(() => undefined);
}

/**
 * The nodes of one scenario, ours (in this process) and the reference's (child processes), all on
 * 127.0.0.1 with fresh ports; `close()` stops every one, the reference's by pid.
 */
export class Network {
  readonly #reference: string;
  readonly references: ReferenceNode[] = [];
  readonly #ours: Array<{ close(): Promise<void> }> = [];

  constructor(reference: string) {
    this.#reference = reference;
  }

  /** A reference node; a root when `root` (our root's or a reference root's address) is not given. */
  async startReference(name: string, root?: string): Promise<ReferenceNode> {
    const node = await ReferenceNode.start({
      reference: this.#reference,
      name,
      ...(root === undefined ? {} : { rootPort: Number(root.split(':')[1]) }),
    });
    this.references.push(node);
    return node;
  }

  /** Our root on a fresh port, no admin HTTP, in memory. */
  async startOurRoot(options: Partial<RootServerOptions> = {}): Promise<RootServer> {
    const root = await RootServer.start({
      listen: '127.0.0.1:0',
      http: null,
      timings: MIXED_ROOT_TIMINGS,
      ...options,
    });
    this.#ours.push(root);
    return root;
  }

  /** One of our peers, joining `root` in auto mode (register and advertise at once). */
  async startOurPeer(
    root: string,
    options: {
      framing?: Framing;
      timings?: Partial<Timings>;
      maxMessageBytes?: number;
      stream?: Partial<StreamNodeOptions>;
    } = {},
  ): Promise<OurPeer> {
    const transport = await StreamNode.listen({
      listen: '127.0.0.1:0',
      defaultFraming: options.framing ?? 'binary',
      ...options.stream,
    });
    const framingsFrom = new Map<string, Set<Framing>>();
    transport.on('packet', ({ framing, from }: InboundPacket) => {
      const seen = framingsFrom.get(from) ?? new Set<Framing>();
      seen.add(framing);
      framingsFrom.set(from, seen);
    });
    const peer = new Peer({
      transport,
      root,
      timings: options.timings ?? 'reference',
      ...(options.maxMessageBytes === undefined
        ? {}
        : { maxMessageBytes: options.maxMessageBytes }),
    });
    const ours: OurPeer = { peer, transport, address: peer.address, framingsFrom, messages: [] };
    peer.on('message', ({ text }) => ours.messages.push(text));
    this.#ours.push(peer);
    peer.begin();
    return ours;
  }

  /** The smallest mixed tree: our root with a reference peer `x` joined under it. */
  async rootWithReferencePeer(): Promise<{ root: RootServer; x: ReferenceNode }> {
    const root = await this.startOurRoot();
    const x = await this.startReference('reference peer x', root.address);
    await referenceJoins(x, root, STEP_TIMEOUT);
    return { root, x };
  }

  /** {@link rootWithReferencePeer}, then one of our peers `p` joined under the root too. */
  async rootWithReferenceAndOurPeer(): Promise<{
    root: RootServer;
    x: ReferenceNode;
    p: OurPeer;
  }> {
    const { root, x } = await this.rootWithReferencePeer();
    const p = await this.startOurPeer(root.address);
    await attached(p, STEP_TIMEOUT, root.node);
    return { root, x, p };
  }

  /**
   * The last output lines of every reference node, for a failed scenario's report, without its
   * hello chatter (every 4 s per node) and prompts.
   */
  outputs(lines = 120): string {
    const chatter = /REQ0\d|RES0\d|Reunion|Write your command|^Response: {2}b'ACK'$/;
    return this.references
      .map((node) => {
        const kept = node.output.filter((line) => !chatter.test(line)).slice(-lines);
        return `--- ${node.name} (port ${node.port}) ---\n${kept.join('\n')}`;
      })
      .join('\n');
  }

  /** Stops every node: ours closed, the reference's killed by pid. */
  async close(): Promise<void> {
    await Promise.all([
      ...this.references.map((node) => node.stop()),
      ...this.#ours.map((node) => node.close()),
    ]);
  }
}

/**
 * Resolves once our peer is attached under `parent` and its Join has reached it: the peer takes
 * the parent from the Advertise response, before the parent has heard of it.
 */
export async function attached(
  ours: OurPeer,
  timeoutMs: number,
  parent: OurTreeNode | ReferenceNode,
): Promise<void> {
  await until(
    ours.peer,
    'parent',
    () => ours.peer.parent === parent.address,
    timeoutMs,
    `${ours.address} attached under ${parent.address}`,
  );
  if (parent instanceof ReferenceNode) await parent.waitForJoin(ours.address, timeoutMs);
  else await joinedUnder(parent, ours.address, timeoutMs);
}

/** Resolves once our peer has been delivered a Message with this text. */
export function heard(ours: OurPeer, text: string, timeoutMs: number): Promise<void> {
  return until(
    ours.peer,
    'message',
    () => ours.messages.includes(text),
    timeoutMs,
    `'${text}' at ${ours.address}`,
  );
}

/**
 * What went wrong at the reference nodes of a network: a main loop that died, or a read that was
 * not exactly one frame it can take. Empty when none was harmed.
 */
export function harmToReferences(network: Network): string[] {
  return network.references.flatMap((node) => [
    ...(node.mainLoopDied === undefined
      ? []
      : [`${node.name}: main loop died: ${node.mainLoopDied}`]),
    ...node.threadsDied.map((died) => `${node.name}: thread died: ${died}`),
    ...node
      .wireViolations()
      .map((v) => `${node.name}: read ${v.read} (${v.bytes} bytes): ${v.reason}`),
  ]);
}

/** One of our tree nodes (our root's `node`, or a Peer), as a parent. */
export type OurTreeNode = RootServer['node'] | Peer;

/**
 * Resolves once `parent` counts `child` as a child: a peer once the Join reached it, our root once it
 * placed `child` under itself (the root's children are its placement's).
 */
export function joinedUnder(parent: OurTreeNode, child: string, timeoutMs: number): Promise<void> {
  return until(
    parent,
    'neighbour-added',
    () => parent.children.includes(child),
    timeoutMs,
    `${child}'s Join at ${parent.address}`,
  );
}

/**
 * A reference peer joins our root as its user would: types `Register`, then, once registered,
 * `Advertise`. Resolves once it is placed under `parent` (default the root) and its Join has
 * reached it: the reference sends its Join only when its main loop next wakes (every 2 s).
 */
export async function referenceJoins(
  node: ReferenceNode,
  root: RootServer,
  timeoutMs: number,
  parent: OurTreeNode = root.node,
): Promise<void> {
  const registered = waitForEvent<{ address: string }>(
    root,
    'node-registered',
    ({ address }) => address === node.address,
    timeoutMs,
    `${node.name} registered`,
  );
  node.type('Register');
  await registered;
  const joined = joinedUnder(parent, node.address, timeoutMs);
  const placedUnder = await placedAgain(node, root, timeoutMs, () => node.type('Advertise'));
  if (placedUnder !== parent.address) {
    throw new Error(`${node.name} was placed under ${placedUnder}, not ${parent.address}`);
  }
  await joined;
}

/** Resolves with the parent our root places the reference node under after `act()`. */
export async function placedAgain(
  node: ReferenceNode,
  root: RootServer,
  timeoutMs: number,
  act: () => void = () => {},
): Promise<string> {
  const placed = waitForEvent<{ address: string; parent: string }>(
    root,
    'placed',
    ({ address }) => address === node.address,
    timeoutMs,
    `${node.name} placed`,
  );
  act();
  return (await placed).parent;
}
