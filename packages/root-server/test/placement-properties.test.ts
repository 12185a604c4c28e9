import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TreeGraph } from '../src/placement/tree.js';

const ROOT = 'root:1';
const TIMEOUT = 30;
/** staleAfter of the placements that use it. */
const STALE = 12;

interface NaiveNode {
  /** The parent link: kept inside a detached subtree, null at its top and when turned off. */
  parent: string | null;
  alive: boolean;
  detached: boolean;
  detachedAt: number;
  order: number;
  lastSeen: number;
  /** When lastSeen was last set: ties of lastSeen go to the node heard from first. */
  touched: number;
  /** When the node was linked to its parent: children are kept in order of attachment. */
  linked: number;
  lastParent: string | null;
  /** Sent back under its parent (5.3.2) and not heard from through it since. */
  sentBack: boolean;
  /** Failed by `fail` (its connection) and not placed since: no hello path re-attaches it. */
  unreachable: boolean;
}

/**
 * The reference: the same rules written the naive way (parent pointers only, every question
 * answered by scanning every node). Tie-break within a depth: the sequence number of the latest
 * placement, as documented for TreeGraph. The rules (protocol.md 5.3, 5.6 as amended): a node
 * asking again while its parent is alive and not believed dead goes back under it; a node that
 * fails leaves alone, its children's subtrees waiting detached until their top re-attaches (by
 * Advertise, or by a hello that proves its path) or stays away for the root timeout.
 */
class NaiveTree {
  readonly nodes = new Map<string, NaiveNode>();
  #sequence = 0;
  #clock = 0;

  add(key: string, now: number): void {
    if (!this.nodes.has(key)) {
      this.nodes.set(key, {
        parent: null,
        alive: false,
        detached: false,
        detachedAt: 0,
        order: 0,
        lastSeen: now,
        touched: 0,
        linked: 0,
        lastParent: null,
        sentBack: false,
        unreachable: false,
      });
    }
  }

  #node(key: string): NaiveNode {
    return this.nodes.get(key) as NaiveNode;
  }

  #touch(key: string, now: number): void {
    Object.assign(this.#node(key), { lastSeen: now, touched: ++this.#clock });
  }

  #link(key: string, parent: string | null): void {
    Object.assign(this.#node(key), { parent, linked: ++this.#clock });
  }

  isAlive(key: string): boolean {
    return key === ROOT || this.nodes.get(key)?.alive === true;
  }

  isDetached(key: string): boolean {
    return this.nodes.get(key)?.detached === true;
  }

  /** The parent as the graph reports it: only for nodes in the tree. */
  parentOf(key: string): string | null {
    const node = this.nodes.get(key);
    return node?.alive ? node.parent : null;
  }

  /** Nodes linked under `key` (alive or detached), in order of attachment. */
  links(key: string): string[] {
    return [...this.nodes]
      .filter(([, n]) => n.parent === key && (n.alive || n.detached))
      .sort(([, a], [, b]) => a.linked - b.linked)
      .map(([k]) => k);
  }

  children(key: string): string[] {
    return this.isAlive(key) ? this.links(key).filter((k) => this.isAlive(k)) : [];
  }

  depthOf(key: string): number {
    let depth = 0;
    for (let at = key; at !== ROOT; depth++) at = this.parentOf(at) as string;
    return depth;
  }

  /** `key` and everything linked below it, breadth-first. */
  linkedSubtree(key: string): string[] {
    const out = [key];
    for (let i = 0; i < out.length; i++) out.push(...this.links(out[i] as string));
    return out;
  }

  /** Candidates open for a child, nearest the root first. */
  #open(excluded: Set<string>): string[] {
    const orderOf = (k: string) => (k === ROOT ? 0 : this.#node(k).order);
    return [ROOT, ...this.nodes.keys()]
      .filter((k) => this.isAlive(k) && !excluded.has(k) && this.children(k).length < 2)
      .sort((a, b) => this.depthOf(a) - this.depthOf(b) || orderOf(a) - orderOf(b));
  }

  /** Hangs `key` under `parent`; nodes it carries that were out of the tree are alive again. */
  #attach(key: string, parent: string, now: number): void {
    this.#link(key, parent);
    Object.assign(this.#node(key), { lastParent: null, order: ++this.#sequence });
    for (const k of this.linkedSubtree(key)) {
      const n = this.#node(k);
      if (n.alive) continue;
      Object.assign(n, { alive: true, detached: false });
      this.#touch(k, now);
    }
  }

  place(requester: string, now: number, staleAfter = Number.POSITIVE_INFINITY): string {
    const node = this.nodes.get(requester);
    if (!node) throw new Error('unregistered');
    const dead = (k: string) => k !== ROOT && now - this.#node(k).lastSeen > staleAfter;
    if (
      node.alive &&
      node.parent !== null &&
      !dead(node.parent) &&
      (node.parent === ROOT || !node.sentBack)
    ) {
      node.sentBack = true;
      this.#touch(requester, now);
      return node.parent;
    }
    node.sentBack = false;
    node.unreachable = false;
    const previous = node.parent ?? node.lastParent;
    // Detach first: the requester's subtree is out of the running and its old parent has one
    // child fewer.
    const wasAlive = node.alive;
    node.parent = null;
    node.detached = false;
    const carried = new Set(this.linkedSubtree(requester));
    if (wasAlive) node.alive = true;
    const candidates = this.#open(carried);
    const chosen =
      candidates.find((k) => k !== previous && !dead(k)) ??
      candidates.find((k) => !dead(k)) ??
      (candidates[0] as string);
    this.#attach(requester, chosen, now);
    this.#touch(requester, now);
    return chosen;
  }

  turnOff(key: string): string[] {
    const top = this.nodes.get(key);
    if (!top || !(top.alive || top.detached)) return [];
    const off = this.linkedSubtree(key);
    if (top.parent !== null) top.lastParent = top.parent;
    for (const k of off) {
      const n = this.#node(k);
      if (k !== key) n.lastParent = n.parent;
      Object.assign(n, { parent: null, alive: false, detached: false });
    }
    return off;
  }

  fail(key: string, now: number, unreachable = true): string[] {
    const node = this.nodes.get(key);
    if (!node || !(node.alive || node.detached)) return [];
    if (unreachable) node.unreachable = true;
    for (const child of this.links(key)) {
      for (const k of this.linkedSubtree(child))
        Object.assign(this.#node(k), { alive: false, detached: true });
      Object.assign(this.#node(child), { parent: null, lastParent: key, detachedAt: now });
    }
    return this.turnOff(key);
  }

  refresh(keys: string[], now: number): void {
    for (const k of keys) {
      const n = this.nodes.get(k);
      if (!n?.alive) continue;
      this.#touch(k, now);
      n.sentBack = false;
    }
  }

  sweep(now: number, timeout: number): string[] {
    const off: string[] = [];
    for (const [k, n] of [...this.nodes]) {
      if (n.detached && n.parent === null && now - n.detachedAt > timeout)
        off.push(...this.turnOff(k));
    }
    const expired = (k: string) => k !== ROOT && now - this.#node(k).lastSeen > timeout;
    for (;;) {
      const oldest = [...this.nodes]
        .filter(([k, n]) => n.alive && expired(k))
        .sort(([, a], [, b]) => a.lastSeen - b.lastSeen || a.touched - b.touched)[0];
      if (oldest === undefined) return off;
      let failed = oldest[0];
      for (let up = this.parentOf(failed); up !== null && expired(up); up = this.parentOf(up))
        failed = up;
      off.push(...this.fail(failed, now, false));
    }
  }

  /** A hello path the root answers: every entry alive, each the child of the next, the last the root's. */
  isPath(keys: string[]): boolean {
    if (keys.length === 0) return false;
    return keys.every(
      (k, i) => this.nodes.get(k)?.alive === true && this.parentOf(k) === (keys[i + 1] ?? ROOT),
    );
  }

  /** What the root makes of a path it cannot confirm: the lost nodes re-attached as it says. */
  repair(keys: string[], now: number): string[] | undefined {
    if (keys.length === 0 || new Set(keys).size !== keys.length) return undefined;
    if (!keys.every((k) => this.nodes.has(k))) return undefined;
    const tops = new Set<string>();
    const willBeAlive = (k: string): boolean => {
      if (this.isAlive(k)) return true;
      for (let at: string | null = k; at !== null; at = this.#node(at).parent)
        if (tops.has(at)) return true;
      return false;
    };
    const moves: Array<[string, string]> = [];
    let parent = ROOT;
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] as string;
      if (this.#node(k).parent !== parent || !willBeAlive(k)) {
        if (willBeAlive(k) || this.#node(k).unreachable || this.links(parent).length >= 2)
          return undefined;
        moves.push([k, parent]);
        tops.add(k);
      }
      parent = k;
    }
    const changed: string[] = [];
    for (const [k, under] of moves) {
      this.#node(k).parent = null;
      this.#attach(k, under, now);
      changed.push(...this.linkedSubtree(k));
    }
    return changed;
  }

  pathOf(key: string): string[] {
    const path: string[] = [];
    for (
      let at: string | null = key;
      at !== null && at !== ROOT;
      at = this.nodes.get(at)?.parent ?? null
    ) {
      path.push(at);
    }
    return path;
  }
}

/**
 * A second, independent check of breadth-first placement on the real graph through its public
 * queries: the depth of the shallowest open node outside the requester's subtree, other than
 * `exclude` when something else is open.
 */
function shallowestOpenDepth(tree: TreeGraph, requester: string, exclude: string | null): number {
  const subtree = new Set(tree.subtreeOf(requester));
  const queue = [tree.root];
  const open: Array<{ key: string; depth: number }> = [];
  for (let i = 0; i < queue.length; i++) {
    const key = queue[i] as string;
    const children = tree.childrenOf(key).filter((c) => !subtree.has(c));
    if (children.length < 2) open.push({ key, depth: tree.depthOf(key) as number });
    queue.push(...children);
  }
  const others = open.filter((o) => o.key !== exclude);
  return Math.min(...(others.length > 0 ? others : open).map((o) => o.depth));
}

type Command =
  | { op: 'register'; node: number }
  | { op: 'advertise'; node: number; stale: boolean }
  | { op: 'turnOff'; node: number }
  | { op: 'fail'; node: number }
  | { op: 'hello'; node: number }
  | { op: 'hello-path'; nodes: number[] }
  | { op: 'tick'; by: number }
  | { op: 'sweep' };

const commandArb = (nodes: number): fc.Arbitrary<Command> => {
  const node = fc.integer({ min: 0, max: nodes - 1 });
  return fc.oneof(
    { weight: 2, arbitrary: fc.record({ op: fc.constant('register' as const), node }) },
    {
      weight: 5,
      arbitrary: fc.record({ op: fc.constant('advertise' as const), node, stale: fc.boolean() }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('turnOff' as const), node }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('fail' as const), node }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('hello' as const), node }) },
    // Made-up paths: mostly wrong, now and then the real one.
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('hello-path' as const),
        nodes: fc.array(node, { minLength: 0, maxLength: 5 }),
      }),
    },
    // The clock mostly goes forward; now and then it steps back a little.
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('tick' as const),
        by: fc.integer({ min: -3, max: 15 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('sweep' as const) }) },
  );
};

function check(tree: TreeGraph, model: NaiveTree): void {
  expect(tree.verify()).toEqual([]);
  let alive = 0;
  let maxDepth = 0;
  for (const [key, n] of model.nodes) {
    expect(tree.isAlive(key)).toBe(n.alive);
    expect(tree.isDetached(key)).toBe(n.detached);
    expect(tree.parentOf(key)).toBe(model.parentOf(key));
    expect(tree.lastSeenOf(key)).toBe(n.lastSeen);
    const children = tree.childrenOf(key);
    expect(children.length).toBeLessThanOrEqual(2);
    expect(new Set(children)).toEqual(new Set(model.children(key)));
    if (n.alive) {
      alive++;
      const depth = model.depthOf(key); // terminates: connected and acyclic
      expect(tree.depthOf(key)).toBe(depth);
      maxDepth = Math.max(maxDepth, depth);
    }
  }
  expect(new Set(tree.childrenOf(ROOT))).toEqual(new Set(model.children(ROOT)));
  expect(tree.aliveCount).toBe(alive);
  expect(tree.size).toBe(model.nodes.size);
  expect(tree.maxDepth).toBe(maxDepth);
}

function run(commands: Command[]): void {
  const tree = new TreeGraph(ROOT);
  const model = new NaiveTree();
  let now = 1000;
  const key = (i: number) => `10.0.0.${i}:7000`;
  for (const command of commands) {
    switch (command.op) {
      case 'register':
        tree.add(key(command.node), now);
        model.add(key(command.node), now);
        break;
      case 'advertise': {
        const k = key(command.node);
        if (!model.nodes.has(k)) break;
        const n = model.nodes.get(k);
        const staleAfter = command.stale ? STALE : undefined;
        const stays =
          n?.alive === true &&
          (n.parent === ROOT ||
            !command.stale ||
            now - (model.nodes.get(n.parent as string)?.lastSeen ?? 0) <= STALE);
        const previous = n?.parent ?? n?.lastParent ?? null;
        const expectedDepth = shallowestOpenDepth(tree, k, previous);
        const parent = tree.place(k, now, staleAfter === undefined ? {} : { staleAfter });
        expect(parent).toBe(model.place(k, now, staleAfter));
        // Without nodes believed dead, the nearest open node other than the previous parent.
        if (!stays && !command.stale) expect(tree.depthOf(parent)).toBe(expectedDepth);
        expect(tree.subtreeOf(k)).not.toContain(parent);
        break;
      }
      case 'fail':
        expect(tree.fail(key(command.node), now)).toEqual(model.fail(key(command.node), now));
        break;
      case 'turnOff':
        expect(new Set(tree.turnOff(key(command.node)))).toEqual(
          new Set(model.turnOff(key(command.node))),
        );
        break;
      case 'hello':
      case 'hello-path': {
        // A node's own path (as its links have it, detached or not), or a made-up one; what the
        // root does with it: confirm it, else repair it and confirm it.
        const path =
          command.op === 'hello' ? model.pathOf(key(command.node)) : command.nodes.map(key);
        if (!path.every((k) => model.nodes.has(k))) {
          expect(tree.confirmPath(path, now)).toBe(false);
          expect(tree.repairPath(path, now)).toBeUndefined();
          break;
        }
        const valid = model.isPath(path);
        expect(tree.confirmPath(path, now)).toBe(valid);
        if (!valid) {
          const repaired = model.repair(path, now);
          const actual = tree.repairPath(path, now);
          expect(actual === undefined ? undefined : new Set(actual)).toEqual(
            repaired === undefined ? undefined : new Set(repaired),
          );
          if (repaired === undefined) break;
          expect(tree.confirmPath(path, now)).toBe(true);
        }
        model.refresh(path, now);
        break;
      }
      case 'tick':
        now += command.by;
        break;
      case 'sweep':
        expect(new Set(tree.sweep(now, TIMEOUT))).toEqual(new Set(model.sweep(now, TIMEOUT)));
        break;
    }
    check(tree, model);
  }
}

describe('placement against a naive breadth-first scan', () => {
  it('agrees on every step with few nodes (many re-advertisements)', () => {
    fc.assert(fc.property(fc.array(commandArb(8), { maxLength: 80 }), run), { numRuns: 300 });
  });

  it('agrees on every step with more nodes (deeper trees, bigger subtrees)', () => {
    fc.assert(fc.property(fc.array(commandArb(40), { minLength: 50, maxLength: 250 }), run), {
      numRuns: 60,
    });
  });

  it('restoring its own rows gives back the same tree', () => {
    fc.assert(
      fc.property(fc.array(commandArb(20), { maxLength: 120 }), (commands) => {
        const tree = new TreeGraph(ROOT);
        let now = 0;
        for (const c of commands) {
          const k = 'node' in c ? `10.0.0.${c.node}:7000` : '';
          if (c.op === 'hello-path') continue;
          if (c.op === 'register') tree.add(k, now);
          else if (c.op === 'advertise' && tree.has(k)) tree.place(k, now);
          else if (c.op === 'turnOff') tree.turnOff(k);
          else if (c.op === 'fail') tree.fail(k, now);
          else if (c.op === 'tick') now += c.by;
          else if (c.op === 'sweep') tree.sweep(now, TIMEOUT);
        }
        const copy = new TreeGraph(ROOT);
        expect(copy.restore(tree.nodes())).toEqual([]);
        expect([...copy.nodes()]).toEqual([...tree.nodes()]);
        expect(copy.verify()).toEqual([]);
        expect(copy.maxDepth).toBe(tree.maxDepth);
      }),
      { numRuns: 200 },
    );
  });
});
