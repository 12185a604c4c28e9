import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Event, P2pProcess } from './processes.js';

/**
 * A root and peers, each a `p2p` process with `--timings fast --json`, for the churn test: the
 * tree they form, signals to single nodes by pid, the root restarted on its address and store,
 * and every process ever started stopped at the end.
 */
export class ChurnNetwork {
  readonly peers: P2pProcess[] = [];
  root: P2pProcess;
  readonly rootAddress: string;
  readonly #started: P2pProcess[] = [];
  readonly #dir: string;
  readonly #extra: string[];

  private constructor(root: P2pProcess, rootAddress: string, dir: string, extra: string[]) {
    this.root = root;
    this.rootAddress = rootAddress;
    this.#dir = dir;
    this.#extra = extra;
    this.#started.push(root);
  }

  /** Starts the root on a fresh SQLite store (it must survive a restart), then `count` peers. */
  static async start(count: number, extra: string[]): Promise<ChurnNetwork> {
    const dir = mkdtempSync(join(tmpdir(), 'p2p-churn-'));
    const root = new P2pProcess(rootArgs('127.0.0.1:0', join(dir, 'root.db'), extra));
    let network: ChurnNetwork | undefined;
    try {
      const started = await root.waitFor((e) => e.event === 'started');
      network = new ChurnNetwork(root, String(started.address), dir, extra);
      for (let i = 0; i < count; i++) network.#startPeer();
      await Promise.all(network.peers.map((p) => p.waitFor((e) => e.event === 'started')));
      return network;
    } catch (error) {
      if (network) await network.stop();
      else {
        root.kill();
        await root.exited;
        rmSync(dir, { recursive: true, force: true });
      }
      throw error;
    }
  }

  #startPeer(): void {
    const peer = new P2pProcess([
      'peer',
      '--root',
      this.rootAddress,
      '--listen',
      '127.0.0.1:0',
      '--timings',
      'fast',
      // A script's SendMessage that cannot join in time ends the process: never during the churn.
      '--join-timeout',
      '120000',
      '--json',
      ...this.#extra,
    ]);
    this.peers.push(peer);
    this.#started.push(peer);
  }

  address(p: P2pProcess): string {
    if (p === this.root) return this.rootAddress;
    return String(p.events.find((e) => e.event === 'started')?.address);
  }

  /** The parent a peer last reported (null: none yet, or detached). */
  parentOf(p: P2pProcess): string | null {
    const last = p.events.findLast((e) => e.event === 'parent');
    return last === undefined ? null : (last.parent as string | null);
  }

  /** The process listening on `address`: the root or a peer. */
  byAddress(address: string): P2pProcess | undefined {
    if (address === this.rootAddress) return this.root;
    return this.peers.find((p) => this.address(p) === address);
  }

  /** Waits until every peer has a parent that reported it as its child. */
  async formed(ms: number): Promise<void> {
    const attached = (peer: P2pProcess) => {
      const parent = this.parentOf(peer);
      const process = parent === null ? undefined : this.byAddress(parent);
      return (
        process?.events.some((e) => e.event === 'child-joined' && e.child === this.address(peer)) ??
        false
      );
    };
    const deadline = Date.now() + ms;
    for (const peer of this.peers) {
      // A parent's events wake only the parent, so each peer waits on its own output and on its
      // parent's, whichever comes last.
      for (;;) {
        const left = deadline - Date.now();
        if (attached(peer)) break;
        const parent = this.parentOf(peer);
        const process = parent === null ? undefined : this.byAddress(parent);
        await Promise.race([
          peer.until(() => this.parentOf(peer) !== parent, left),
          ...(process === undefined ? [] : [process.until(() => attached(peer), left)]),
        ]).catch(() => {
          throw new Error(`the tree did not form within ${ms} ms: ${this.describe()}`);
        });
      }
    }
  }

  /** Each node's children, from the peers' last parents. */
  children(): Map<string, string[]> {
    const children = new Map<string, string[]>();
    for (const peer of this.peers) {
      const parent = this.parentOf(peer);
      if (parent === null) continue;
      children.set(parent, [...(children.get(parent) ?? []), this.address(peer)]);
    }
    return children;
  }

  /** The tree as `parent <- child` lines, for failure messages and logs. */
  describe(): string {
    return this.peers.map((p) => `${this.parentOf(p)} <- ${this.address(p)}`).join('; ');
  }

  /** SIGKILLs the root and starts it again on the same address and store; resolves once started. */
  async restartRoot(): Promise<void> {
    const old = this.root;
    old.kill();
    await old.exited;
    const db = join(this.#dir, 'root.db');
    this.root = new P2pProcess(rootArgs(this.rootAddress, db, this.#extra));
    this.#started.push(this.root);
    await this.root.waitFor((e) => e.event === 'started');
  }

  /** Stops every process ever started, each by its pid (stopped ones woken first), and waits. */
  async stop(): Promise<void> {
    for (const p of this.#started) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGCONT');
        p.kill();
      }
    }
    await Promise.all(this.#started.map((p) => p.exited));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function rootArgs(listen: string, db: string, extra: string[]): string[] {
  return [
    'root',
    '--listen',
    listen,
    '--http',
    'off',
    '--db',
    db,
    '--timings',
    'fast',
    '--json',
    ...extra,
  ];
}

/** The churn Messages a process delivered, per sender address, as their numbers in order. */
export function deliveredBySender(events: Event[]): Map<string, number[]> {
  const bySender = new Map<string, number[]>();
  for (const e of events) {
    if (e.event !== 'message' || typeof e.text !== 'string') continue;
    const parsed = parseChurnText(e.text);
    if (parsed === undefined) continue;
    const numbers = bySender.get(parsed.sender) ?? [];
    numbers.push(parsed.n);
    bySender.set(parsed.sender, numbers);
  }
  return bySender;
}

export function churnText(sender: string, n: number): string {
  return `churn:${sender}:${n}`;
}

/** `churn:<sender address>:<n>` → its parts (the address holds a colon itself). */
export function parseChurnText(text: string): { sender: string; n: number } | undefined {
  if (!text.startsWith('churn:')) return undefined;
  const cut = text.lastIndexOf(':');
  return { sender: text.slice('churn:'.length, cut), n: Number(text.slice(cut + 1)) };
}
