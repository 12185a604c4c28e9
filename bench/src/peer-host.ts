import { type NodeCounters, Peer } from '@p2p/peer';
import type { RootServer } from '@p2p/root-server';
import { clock, taskClock } from './clock.js';
import type {
  BurstResult,
  HostNotice,
  HostRequest,
  MemorySample,
  PeerStartOptions,
  StateEvent,
  Traffic,
} from './host-protocol.js';
import { messageText, parseMessage } from './message.js';
import { nodeOptions } from './node-mode.js';
import { DeliveryTracker, type TrackSpec, type TrackSummary } from './tracker.js';

/** A node this host runs: a peer, or the root (only in the main process). */
interface Member {
  address: string;
  broadcast(text: string): Promise<{ failed: string[] }>;
  counters(): NodeCounters;
  close(): Promise<void>;
}

/**
 * The nodes one process runs for the benchmark (all of them, or its share when spread over
 * workers), with their events turned into state changes and delivery counts. The main process
 * uses it directly; a worker wraps it in IPC (worker.ts).
 */
export class PeerHost {
  readonly #members: Member[] = [];
  readonly #index = new Map<string, number>();
  readonly #notify: (notice: HostNotice) => void;
  #tracker: DeliveryTracker | undefined;
  /** Member number → receiver number in the current run (-1: the origin). */
  #receiverOf = new Int32Array(0);

  constructor(notify: (notice: HostNotice) => void) {
    this.#notify = notify;
  }

  get addresses(): string[] {
    return this.#members.map((member) => member.address);
  }

  /** Answers a request (the same for in-process and IPC use). */
  async handle(request: HostRequest): Promise<unknown> {
    switch (request.op) {
      case 'start':
        return this.startPeers(request.options);
      case 'track':
        return this.track(request.spec);
      case 'broadcast':
        return this.broadcast(request.origin, request.run, request.seq);
      case 'burst':
        return this.burst(request.origin, request.run, request.messages, request.outstanding);
      case 'summary':
        return this.summary();
      case 'traffic':
        return this.traffic();
      case 'memory':
        return memory();
      case 'close':
        await this.close();
        return null;
    }
  }

  /** Starts `count` peers at once, each with its own TCP server, joining in the background. */
  async startPeers(options: PeerStartOptions): Promise<string[]> {
    const peers = await Promise.all(
      Array.from({ length: options.count }, () =>
        Peer.start({
          listen: `${options.host}:0`,
          root: options.root,
          timings: options.timings,
          ...nodeOptions(options.mode),
        }),
      ),
    );
    for (const peer of peers) {
      const on = this.#listeners(peer.address);
      peer.on('registered', on.registered);
      peer.on('parent', on.parent);
      peer.on('neighbour-added', on.added);
      peer.on('neighbour-removed', on.removed);
      peer.on('message', on.message);
      this.#add({
        address: peer.address,
        broadcast: (t) => peer.broadcast(t),
        counters: () => peer.counters,
        close: () => peer.close(),
      });
    }
    return peers.map((peer) => peer.address);
  }

  /** Makes the root one of this host's nodes (it delivers and originates like the others). */
  addRoot(root: RootServer): void {
    const on = this.#listeners(root.address);
    root.on('neighbour-added', on.added);
    root.on('neighbour-removed', on.removed);
    root.on('message', on.message);
    this.#add({
      address: root.address,
      broadcast: (t) => root.node.broadcast(t),
      counters: () => root.node.counters,
      close: () => root.close(),
    });
  }

  /** Starts counting deliveries of a run; returns how many of this host's nodes receive it. */
  track(spec: TrackSpec): number {
    const receiverOf = new Int32Array(this.#members.length);
    let receivers = 0;
    this.#members.forEach((member, i) => {
      receiverOf[i] = member.address === spec.origin ? -1 : receivers++;
    });
    this.#receiverOf = receiverOf;
    const seqs: number[] = [];
    const ats: number[] = [];
    // Completions of one tick go out together.
    let flushing = false;
    this.#tracker = new DeliveryTracker(spec, receivers, (seq, at) => {
      seqs.push(seq);
      ats.push(at);
      if (flushing) return;
      flushing = true;
      setImmediate(() => {
        flushing = false;
        this.#notify({
          notice: 'complete',
          run: spec.run,
          seqs: seqs.splice(0),
          ats: ats.splice(0),
        });
      });
    });
    return receivers;
  }

  /** Originates message `seq` of `run` at `origin`; returns when it was handed over. */
  broadcast(origin: string, run: number, seq: number): number {
    const member = this.#member(origin);
    const text = messageText(run, seq);
    const at = clock();
    void member.broadcast(text);
    return at;
  }

  /**
   * Originates `messages` messages as fast as the API takes them: without awaiting each, but
   * with at most `outstanding` broadcasts not yet acknowledged by every neighbour (the transport
   * refuses sends beyond its queue limit of 1,024 per connection).
   */
  async burst(
    origin: string,
    run: number,
    messages: number,
    outstanding: number,
  ): Promise<BurstResult> {
    const member = this.#member(origin);
    const pending: Array<Promise<{ failed: string[] }>> = [];
    let failed = 0;
    let head = 0;
    const firstAt = clock();
    for (let seq = 0; seq < messages; seq++) {
      if (pending.length - head >= outstanding) {
        const result = await (pending[head] as Promise<{ failed: string[] }>);
        pending[head++] = undefined as never;
        if (result.failed.length > 0) failed++;
      }
      pending.push(member.broadcast(messageText(run, seq)));
    }
    const lastAt = clock();
    for (const result of await Promise.all(pending.slice(head)))
      if (result.failed.length > 0) failed++;
    return { firstAt, lastAt, failed };
  }

  /** Packets sent so far by this host's nodes, by kind, and failed sends. */
  traffic(): Traffic {
    const total: Traffic = { sendFailures: 0 };
    for (const member of this.#members) {
      const counters = member.counters();
      total.sendFailures = (total.sendFailures ?? 0) + counters.sendFailures;
      for (const [kind, n] of Object.entries(counters.packetsOut))
        total[kind] = (total[kind] ?? 0) + n;
    }
    return total;
  }

  summary(): TrackSummary | null {
    return this.#tracker?.summary() ?? null;
  }

  async close(): Promise<void> {
    this.#tracker = undefined;
    await Promise.all(this.#members.splice(0).map((member) => member.close()));
    this.#index.clear();
  }

  #member(address: string): Member {
    const i = this.#index.get(address);
    if (i === undefined) throw new Error(`no node ${address} on this host`);
    return this.#members[i] as Member;
  }

  #add(member: Member): void {
    this.#index.set(member.address, this.#members.length);
    this.#members.push(member);
  }

  /** Listeners that turn a node's events into state changes and delivery counts. */
  #listeners(address: string) {
    const index = this.#members.length;
    const state = (event: StateEvent): void => this.#notify({ notice: 'state', events: [event] });
    return {
      registered: () => state({ type: 'registered', address, at: clock() }),
      parent: ({ parent }: { parent: string | null }) =>
        state({ type: 'parent', address, parent, at: clock() }),
      added: ({ neighbour, role }: { neighbour: string; role: string }) => {
        if (role === 'child')
          state({ type: 'child-added', address, child: neighbour, at: clock() });
      },
      removed: ({ neighbour, role }: { neighbour: string; role: string }) => {
        if (role === 'child')
          state({ type: 'child-removed', address, child: neighbour, at: clock() });
      },
      message: ({ text }: { text: string }) => {
        const tracker = this.#tracker;
        if (tracker === undefined) return;
        const at = taskClock();
        const parsed = parseMessage(text);
        if (parsed === undefined || parsed[0] !== tracker.spec.run) return;
        const receiver = this.#receiverOf[index] ?? -1;
        if (receiver >= 0) tracker.deliver(receiver, parsed[1], at);
      },
    };
  }
}

/** Heap and RSS after a full collection (when --expose-gc gave us `gc`). */
export function memory(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss, collected: gc !== undefined };
}
