import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TreeGraph } from '../src/placement/tree.js';

const ROOT = 'root:1';
const TIMEOUT = 30;

/**
 * The reference: the same rules written the naive way (parent pointers only, every question
 * answered by scanning every node), as the course's reference implementation does it. Tie-break
 * within a depth: the sequence number of the latest placement, as documented for TreeGraph.
 */
class NaiveTree {
  readonly nodes = new Map<
    string,
    {
      parent: string | null;
      alive: boolean;
      order: number;
      lastSeen: number;
      lastParent: string | null;
    }
  >();
  #sequence = 0;

  add(key: string, now: number): void {
    if (!this.nodes.has(key)) {
      this.nodes.set(key, {
        parent: null,
        alive: false,
        order: 0,
        lastSeen: now,
        lastParent: null,
      });
    }
  }

  isAlive(key: string): boolean {
    return key === ROOT || this.nodes.get(key)?.alive === true;
  }

  parentOf(key: string): string | null {
    return this.nodes.get(key)?.parent ?? null;
  }

  children(key: string): string[] {
    return [...this.nodes].filter(([, n]) => n.alive && n.parent === key).map(([k]) => k);
  }

  depthOf(key: string): number {
    let depth = 0;
    for (let at = key; at !== ROOT; depth++) at = this.parentOf(at) as string;
    return depth;
  }

  /** True when `ancestor` is `key` or above it. */
  isUnder(key: string, ancestor: string): boolean {
    for (let at: string | null = key; at !== null; at = this.parentOf(at)) {
      if (at === ancestor) return true;
    }
    return false;
  }

  subtree(key: string): string[] {
    return [...this.nodes.keys()].filter((k) => this.isAlive(k) && this.isUnder(k, key));
  }

  place(requester: string, now: number): string {
    const node = this.nodes.get(requester);
    if (!node) throw new Error('unregistered');
    const previous = node.alive ? node.parent : node.lastParent;
    // Detach first: the requester's subtree is out of the running and its old parent has one
    // child fewer.
    node.parent = null;
    const candidates = [ROOT, ...this.nodes.keys()].filter(
      (k) => this.isAlive(k) && !this.isUnder(k, requester) && this.children(k).length < 2,
    );
    const orderOf = (k: string) => (k === ROOT ? 0 : (this.nodes.get(k)?.order ?? 0));
    candidates.sort((a, b) => this.depthOf(a) - this.depthOf(b) || orderOf(a) - orderOf(b));
    const chosen = candidates.find((k) => k !== previous) ?? (candidates[0] as string);
    Object.assign(node, {
      parent: chosen,
      alive: true,
      order: ++this.#sequence,
      lastSeen: now,
      lastParent: null,
    });
    return chosen;
  }

  turnOff(key: string): string[] {
    if (!this.nodes.get(key)?.alive) return [];
    const off = this.subtree(key);
    for (const k of off) {
      const n = this.nodes.get(k);
      if (n) Object.assign(n, { lastParent: n.parent, parent: null, alive: false });
    }
    return off;
  }

  refresh(keys: string[], now: number): void {
    for (const k of keys) {
      const n = this.nodes.get(k);
      if (n?.alive) n.lastSeen = now;
    }
  }

  sweep(now: number, timeout: number): string[] {
    const expired = [...this.nodes].filter(([, n]) => n.alive && now - n.lastSeen > timeout);
    return expired.flatMap(([k]) => this.turnOff(k));
  }

  /** The hello path a live node would send: itself up to the root's child. */
  /** A hello path the root answers: every entry alive, each the child of the next, the last the root's. */
  isPath(keys: string[]): boolean {
    if (keys.length === 0) return false;
    return keys.every(
      (k, i) => this.nodes.get(k)?.alive === true && this.parentOf(k) === (keys[i + 1] ?? ROOT),
    );
  }

  pathOf(key: string): string[] {
    const path: string[] = [];
    for (let at: string | null = key; at !== null && at !== ROOT; at = this.parentOf(at)) {
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
  | { op: 'advertise'; node: number }
  | { op: 'turnOff'; node: number }
  | { op: 'hello'; node: number }
  | { op: 'hello-path'; nodes: number[] }
  | { op: 'tick'; by: number }
  | { op: 'sweep' };

const commandArb = (nodes: number): fc.Arbitrary<Command> => {
  const node = fc.integer({ min: 0, max: nodes - 1 });
  return fc.oneof(
    { weight: 2, arbitrary: fc.record({ op: fc.constant('register' as const), node }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('advertise' as const), node }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('turnOff' as const), node }) },
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
    expect(tree.parentOf(key)).toBe(n.parent);
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
        const previous = n?.alive ? n.parent : (n?.lastParent ?? null);
        const expectedDepth = shallowestOpenDepth(tree, k, previous);
        const parent = tree.place(k, now);
        expect(parent).toBe(model.place(k, now));
        expect(tree.depthOf(parent)).toBe(expectedDepth);
        expect(tree.subtreeOf(k)).not.toContain(parent);
        break;
      }
      case 'turnOff':
        expect(new Set(tree.turnOff(key(command.node)))).toEqual(
          new Set(model.turnOff(key(command.node))),
        );
        break;
      case 'hello': {
        const path = model.pathOf(key(command.node));
        // A node's own path is confirmed exactly while it is in the tree.
        const alive = model.nodes.get(key(command.node))?.alive === true;
        expect(tree.confirmPath(path, now)).toBe(alive);
        if (alive) model.refresh(path, now);
        break;
      }
      case 'hello-path': {
        const path = command.nodes.map(key);
        const valid = model.isPath(path);
        expect(tree.confirmPath(path, now)).toBe(valid);
        if (valid) model.refresh(path, now);
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
