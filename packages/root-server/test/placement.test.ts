import { describe, expect, it } from 'vitest';
import { TreeGraph } from '../src/placement/tree.js';

const ROOT = '10.0.0.1:5000';
const key = (i: number): string => `10.0.1.${i}:6000`;

/** A graph with nodes 1..count registered and advertised in order. */
function grown(count: number, now = 0): TreeGraph {
  const tree = new TreeGraph(ROOT);
  for (let i = 1; i <= count; i++) {
    tree.add(key(i), now);
    tree.place(key(i), now);
  }
  expect(tree.verify()).toEqual([]);
  return tree;
}

describe('breadth-first placement', () => {
  it('puts the first two peers under the root and the next four under those two', () => {
    const tree = new TreeGraph(ROOT);
    const parents = [1, 2, 3, 4, 5, 6, 7].map((i) => {
      tree.add(key(i), 0);
      return tree.place(key(i), 0);
    });
    expect(parents).toEqual([ROOT, ROOT, key(1), key(1), key(2), key(2), key(3)]);
    expect(tree.childrenOf(ROOT)).toEqual([key(1), key(2)]);
    expect(tree.depthOf(key(6))).toBe(2);
    expect(tree.depthOf(key(7))).toBe(3);
    expect(tree.maxDepth).toBe(3);
    expect(tree.verify()).toEqual([]);
  });

  it('grows a complete binary tree: depth log2(n + 1)', () => {
    for (const count of [1, 2, 3, 6, 7, 100, 1023, 1024]) {
      const tree = grown(count);
      expect(tree.maxDepth).toBe(Math.floor(Math.log2(count + 1)));
      // Heap layout: with the root as 0, node i's parent is node floor((i - 1) / 2).
      for (let i = 1; i <= count; i++) {
        const parent = Math.floor((i - 1) / 2);
        expect(tree.parentOf(key(i))).toBe(parent === 0 ? ROOT : key(parent));
      }
    }
  });

  it('counts registered and live nodes, the root left out', () => {
    const tree = grown(5);
    tree.add(key(9), 0);
    expect(tree.size).toBe(6);
    expect(tree.aliveCount).toBe(5);
    expect(tree.isAlive(ROOT)).toBe(true);
    expect(tree.isAlive(key(9))).toBe(false);
    expect(tree.depthOf(ROOT)).toBe(0);
    expect(tree.depthOf(key(9))).toBeUndefined();
    expect([...tree.nodes()].map((n) => n.address)).toEqual([1, 2, 3, 4, 5, 9].map(key));
  });

  it('refuses to place the root or an unregistered node, with a RootError code', () => {
    const tree = new TreeGraph(ROOT);
    const refusal = (code: string, message: RegExp) =>
      expect.objectContaining({ name: 'RootError', code, message: expect.stringMatching(message) });
    expect(() => tree.place(key(1), 0)).toThrow(
      refusal('ERR_ROOT_NOT_REGISTERED', /not registered/),
    );
    expect(() => tree.place(ROOT, 0)).toThrow(refusal('ERR_ROOT_IS_ROOT', /root/));
    expect(() => tree.add(ROOT, 0)).toThrow(refusal('ERR_ROOT_IS_ROOT', /root/));
    expect(() => tree.turnOff(ROOT)).toThrow(refusal('ERR_ROOT_IS_ROOT', /root/));
    expect(() => tree.fail(ROOT, 0)).toThrow(refusal('ERR_ROOT_IS_ROOT', /root/));
  });

  it('adds idempotently', () => {
    const tree = new TreeGraph(ROOT);
    expect(tree.add(key(1), 5)).toBe(true);
    tree.place(key(1), 7);
    expect(tree.add(key(1), 9)).toBe(false);
    expect(tree.isAlive(key(1))).toBe(true);
    expect(tree.lastSeenOf(key(1))).toBe(7);
  });
});

describe('a node asking again', () => {
  it('is never placed below itself, and its subtree moves with it', () => {
    // 1, 2 under the root; 3, 4 under 1; 5, 6 under 2; 7..10 under 3 and 4.
    const tree = grown(10);
    const subtree = tree.subtreeOf(key(1));
    expect(subtree).toEqual([1, 3, 4, 7, 8, 9, 10].map(key));
    expect(tree.depthOf(key(7))).toBe(3);

    // Node 1 asks again and its previous parent (the root) is excluded: its own subtree is
    // excluded too, so it goes under 5 (depth 2, the earliest open node left).
    const parent = tree.place(key(1), 1, { previousParent: ROOT });
    expect(parent).toBe(key(5));
    expect(subtree).not.toContain(parent);
    expect(tree.subtreeOf(key(1))).toEqual(subtree);
    expect(tree.depthOf(key(1))).toBe(3);
    expect(tree.depthOf(key(3))).toBe(4);
    expect(tree.depthOf(key(7))).toBe(5);
    expect(tree.maxDepth).toBe(5);
    expect(tree.childrenOf(ROOT)).toEqual([key(2)]);
    expect(tree.verify()).toEqual([]);
  });

  it('falls back to the previous parent when it is the only candidate', () => {
    const tree = grown(1);
    expect(tree.place(key(1), 1, { previousParent: ROOT })).toBe(ROOT);
    const deeper = grown(3);
    // Node 1 carries node 3; the root's only other child is 2, which is open, so 1 goes to 2.
    expect(deeper.place(key(1), 1, { previousParent: ROOT })).toBe(key(2));
    expect(deeper.verify()).toEqual([]);
  });

  it('excludes the parent it had when it was turned off', () => {
    // Root: 1, 2. 1: 3, 4. 2: 5, 6. Every open node is at depth 2.
    const tree = grown(6);
    expect(tree.turnOff(key(4))).toEqual([key(4)]);
    // Node 1 is now the open node nearest the root, but it is 4's previous parent.
    expect(tree.place(key(4), 1)).toBe(key(3));
    // Asked again while in the tree under a parent not believed dead: back under it (5.3.2).
    expect(tree.place(key(4), 2)).toBe(key(3));
    expect(tree.verify()).toEqual([]);
  });

  it('goes back under its parent while it is alive (a child of a restarted root), nowhere else', () => {
    const tree = grown(6); // root: 1, 2; 1: 3, 4; 2: 5, 6
    expect(tree.place(key(1), 5)).toBe(ROOT);
    expect(tree.place(key(6), 5)).toBe(key(2));
    expect(tree.childrenOf(ROOT)).toEqual([key(1), key(2)]);
    expect(tree.childrenOf(key(1))).toEqual([key(3), key(4)]);
    expect(tree.lastSeenOf(key(6))).toBe(5);
    expect(tree.verify()).toEqual([]);
    // 6 asks again before any hello through it proved 2 alive: 2 is gone (it crashed a moment
    // ago), 6 goes elsewhere. The root is never gone: 1 goes back under it every time.
    expect(tree.place(key(6), 6)).toBe(key(3));
    expect(tree.place(key(1), 6)).toBe(ROOT);
    // A hello through it clears that: 5, sent back once and heard from, goes back again.
    expect(tree.place(key(5), 7)).toBe(key(2));
    expect(tree.confirmPath([key(5), key(2)], 8)).toBe(true);
    expect(tree.place(key(5), 9)).toBe(key(2));
    expect(tree.verify()).toEqual([]);
  });

  it('never goes under a node believed dead (not heard from for staleAfter), while another is open', () => {
    const tree = grown(6, 0); // root: 1, 2; 1: 3, 4; 2: 5, 6; open at depth 2: 3, 4, 5, 6
    for (const path of [
      [key(4), key(1)],
      [key(5), key(2)],
      [key(6), key(2)],
    ])
      tree.confirmPath(path, 100);
    tree.add(key(7), 100);
    // 3 was placed first but is silent since 0: the newcomer goes under 4.
    expect(tree.place(key(7), 100, { staleAfter: 50 })).toBe(key(4));
    // 4 asks again while its parent 1 is fresh: back under it; once 1 is silent too, elsewhere.
    expect(tree.place(key(4), 120, { staleAfter: 50 })).toBe(key(1));
    tree.confirmPath([key(5), key(2)], 140);
    expect(tree.place(key(4), 160, { staleAfter: 50 })).toBe(key(5));
    // When every open node is believed dead, placement still answers (the protocol has no "no").
    const lonely = grown(2, 0);
    lonely.add(key(3), 0);
    expect(lonely.place(key(3), 1_000, { staleAfter: 50 })).toBe(key(1));
    expect(tree.verify()).toEqual([]);
  });

  it('excludes, for a node turned off with its parent, that parent once it is back', () => {
    const tree = grown(6); // root: 1, 2; 1: 3, 4; 2: 5, 6
    expect(tree.turnOff(key(1))).toEqual([1, 3, 4].map(key));
    expect(tree.place(key(1), 1, { previousParent: null })).toBe(ROOT);
    // 1 is the open node nearest the root, but it is 3's previous parent.
    expect(tree.place(key(3), 1)).toBe(key(5));
  });

  it('takes an explicit previous parent, or none', () => {
    const tree = grown(6);
    tree.turnOff(key(4));
    expect(tree.place(key(4), 1, { previousParent: null })).toBe(key(1));
    tree.turnOff(key(4));
    expect(tree.place(key(4), 2, { previousParent: key(3) })).toBe(key(1));
    tree.turnOff(key(3));
    // 1 is excluded; of the open nodes at depth 2, 5 was placed before 4 (re-placed just now).
    expect(tree.place(key(3), 3, { previousParent: key(1) })).toBe(key(5));
  });

  it('is placed after the nodes placed before it at the same depth', () => {
    const tree = grown(4); // root: 1, 2; 1: 3, 4; open: 2 (one child slot), 3, 4
    tree.turnOff(key(1)); // 1, 3, 4 off; open: root, 2
    expect(tree.place(key(3), 1)).toBe(ROOT);
    expect(tree.place(key(1), 1)).toBe(key(2)); // root is full; 2 was placed before 3
    expect(tree.place(key(4), 1)).toBe(key(2));
  });
});

describe('turning off', () => {
  it('turns off a whole subtree, which stays registered without a parent', () => {
    const tree = grown(10);
    const off = tree.turnOff(key(1));
    expect(off).toEqual([1, 3, 4, 7, 8, 9, 10].map(key));
    for (const k of off) {
      expect(tree.isAlive(k)).toBe(false);
      expect(tree.parentOf(k)).toBeNull();
      expect(tree.childrenOf(k)).toEqual([]);
      expect(tree.has(k)).toBe(true);
    }
    expect(tree.aliveCount).toBe(3);
    expect(tree.childrenOf(ROOT)).toEqual([key(2)]);
    expect(tree.maxDepth).toBe(2);
    expect(tree.turnOff(key(1))).toEqual([]);
    expect(tree.turnOff('1.2.3.4:5')).toEqual([]);
    expect(tree.verify()).toEqual([]);
    // A newcomer now takes the root's free slot.
    tree.add(key(11), 0);
    expect(tree.place(key(11), 0)).toBe(ROOT);
  });

  it('sweeps the highest silent node alone, detaching its subtrees, and turns off a detached subtree whose top stays away', () => {
    const tree = grown(6, 0); // root: 1, 2; 1: 3, 4; 2: 5, 6
    expect(tree.confirmPath([key(3), key(1)], 10)).toBe(true);
    expect(tree.confirmPath([key(6), key(2)], 20)).toBe(true);
    expect(tree.confirmPath([key(5), key(2)], 30)).toBe(true);
    expect(tree.sweep(36, 36)).toEqual([]); // 36 - 0 is not more than 36
    expect(tree.sweep(37, 36)).toEqual([key(4)]);
    // 3 and 1 are both silent since 10: 1 is the one that failed, 3 waits detached.
    const detached: string[] = [];
    expect(tree.sweep(47, 36, detached)).toEqual([key(1)]);
    expect(detached).toEqual([key(3)]);
    expect(tree.isDetached(key(3))).toBe(true);
    expect(tree.isAlive(key(3))).toBe(false);
    expect(tree.sweep(60, 36)).toEqual([key(6)]);
    // 3 did not come back within 36 of being detached; 2 failed, 5 waits.
    expect(tree.sweep(84, 36).sort()).toEqual([2, 3].map(key).sort());
    expect(tree.isDetached(key(5))).toBe(true);
    expect(tree.aliveCount).toBe(0);
    expect(tree.verify()).toEqual([]);
  });

  it('fails a node alone: its children re-advertise carrying their subtrees', () => {
    const tree = grown(16, 0); // root: 1, 2; 1: 3, 4; 3: 7, 8; 4: 9, 10; 7: 15, 16
    const detached: string[] = [];
    expect(tree.fail(key(1), 5, detached)).toEqual([key(1)]);
    expect(detached.sort()).toEqual([3, 4, 7, 8, 9, 10, 15, 16].map(key).sort());
    expect(tree.aliveCount).toBe(7);
    expect(tree.verify()).toEqual([]);
    // 3 re-advertises: placed once, its subtree along, alive again and heard from now.
    expect(tree.place(key(3), 6)).toBe(ROOT);
    expect(tree.subtreeOf(key(3))).toEqual([3, 7, 8, 15, 16].map(key));
    expect(tree.depthOf(key(15))).toBe(3);
    expect(tree.lastSeenOf(key(15))).toBe(6);
    expect(tree.confirmPath([key(15), key(7), key(3)], 7)).toBe(true);
    // 9 re-advertises before its parent 4: it leaves 4's detached subtree.
    expect(tree.place(key(9), 8)).not.toBe(key(4));
    expect(tree.subtreeOf(key(4))).toEqual([4, 10].map(key));
    expect(tree.verify()).toEqual([]);
    expect(tree.fail(key(1), 9)).toEqual([]);
  });

  it('repairs a hello path it lost, as the path says, within the tree rules', () => {
    const tree = grown(6, 0); // root: 1, 2; 1: 3, 4; 2: 5, 6
    tree.turnOff(key(1)); // 1, 3, 4 off
    tree.add(key(7), 0);
    // The path proves 3 under 1 under the root: both come back; 4 stays off.
    expect(tree.confirmPath([key(3), key(1)], 10)).toBe(false);
    expect(tree.repairPath([key(3), key(1)], 10)?.sort()).toEqual([1, 3].map(key).sort());
    expect(tree.confirmPath([key(3), key(1)], 10)).toBe(true);
    expect(tree.lastSeenOf(key(3))).toBe(10);
    expect(tree.isAlive(key(4))).toBe(false);
    expect(tree.repairPath([key(3), key(1)], 11)).toEqual([]);
    // Refused, changing nothing: 5 is in the tree under 2, not under 3 (an older path); the root
    // has two children already; an unknown key, a repeated key, the root, nothing.
    for (const path of [
      [key(5), key(3), key(1)],
      [key(4), key(7)],
      [key(4), '9.9.9.9:1', key(1)],
      [key(4), key(3), key(3), key(1)],
      [key(4), ROOT],
      [],
    ])
      expect(tree.repairPath(path, 20)).toBeUndefined();
    // 4 under 3 (which has room) is proved.
    expect(tree.repairPath([key(4), key(3), key(1)], 20)).toEqual([key(4)]);
    expect(tree.parentOf(key(4))).toBe(key(3));
    // 1's connection failed: its hellos still in flight prove nothing, no path brings it back.
    // The subtree it left waits detached and comes back whole through a hello from its bottom.
    tree.fail(key(1), 30);
    expect(tree.repairPath([key(4), key(3), key(1)], 31)).toBeUndefined();
    expect(tree.repairPath([key(4), key(3)], 31)?.sort()).toEqual([3, 4].map(key).sort());
    expect(tree.parentOf(key(3))).toBe(ROOT);
    expect(tree.verify()).toEqual([]);
  });

  it('confirms a hello path only when it is the tree as it is, and then records it', () => {
    const tree = grown(7, 0); // root: 1, 2; 1: 3, 4; 2: 5, 6; 3: 7
    expect(tree.confirmPath([key(7), key(3), key(1)], 10)).toBe(true);
    expect([7, 3, 1].map((i) => tree.lastSeenOf(key(i)))).toEqual([10, 10, 10]);
    expect(tree.lastSeenOf(key(2))).toBe(0);
    // Each refused path changes nothing.
    for (const path of [
      [key(7), key(1)], // skips an entry
      [key(7), key(3)], // does not reach a child of the root
      [key(7), key(3), key(1), ROOT], // the root is not an entry
      [key(3), key(7)], // upside down
      [key(9), key(1)], // unknown node
      [],
    ]) {
      expect(tree.confirmPath(path, 20)).toBe(false);
    }
    tree.turnOff(key(3));
    expect(tree.confirmPath([key(7), key(3), key(1)], 30)).toBe(false);
    expect(tree.confirmPath([key(3), key(1)], 30)).toBe(false);
    expect([7, 3, 1].map((i) => tree.lastSeenOf(key(i)))).toEqual([10, 10, 10]);
    expect(tree.confirmPath([key(1)], 40)).toBe(true);
    // Only the nodes of confirmed paths were heard from: 1 alone stays; 2 and 4 failed, 2's
    // children wait detached.
    expect(tree.sweep(45, 10).sort()).toEqual([2, 4].map(key).sort());
    expect(tree.isDetached(key(5))).toBe(true);
    expect(tree.aliveCount).toBe(1);
  });

  it('orders liveness correctly when the clock goes backwards', () => {
    const tree = grown(2, 100);
    expect(tree.confirmPath([key(1)], 50)).toBe(true);
    expect(tree.confirmPath([key(2)], 200)).toBe(true);
    expect(tree.confirmPath([key(1)], 40)).toBe(true);
    expect(tree.sweep(140, 100)).toEqual([]);
    expect(tree.sweep(141, 100)).toEqual([key(1)]);
    expect(tree.sweep(300, 100)).toEqual([]);
    expect(tree.sweep(301, 100)).toEqual([key(2)]);
    expect(tree.aliveCount).toBe(0);
  });
});

describe('restore', () => {
  it('rebuilds the same tree from its own rows', () => {
    const tree = grown(20);
    tree.turnOff(key(5));
    tree.add(key(30), 0);
    const copy = new TreeGraph(ROOT);
    expect(copy.restore(tree.nodes())).toEqual([]);
    expect([...copy.nodes()]).toEqual([...tree.nodes()]);
    expect(copy.maxDepth).toBe(tree.maxDepth);
    expect(copy.aliveCount).toBe(tree.aliveCount);
    expect(copy.verify()).toEqual([]);
  });

  it('drops rows that no longer hang from the root, and extra children', () => {
    const tree = new TreeGraph(ROOT);
    const row = (i: number, parent: string | null, alive = true) => ({
      address: key(i),
      parent,
      alive,
      lastSeen: i,
    });
    const dropped = tree.restore([
      row(1, ROOT),
      row(2, ROOT),
      row(3, ROOT), // a third child of the root
      row(4, key(3)), // below the dropped one
      row(5, '9.9.9.9:1'), // unknown parent (the root's address changed?)
      row(6, key(7)), // a cycle
      row(7, key(6)),
      row(8, key(9)), // parent turned off
      row(9, null, false),
      row(10, key(1)),
      { address: ROOT, parent: null, alive: true, lastSeen: 0 }, // ignored
    ]);
    expect(dropped.sort()).toEqual([3, 4, 5, 6, 7, 8].map(key).sort());
    expect(tree.size).toBe(10);
    expect(tree.aliveCount).toBe(3);
    expect(tree.childrenOf(ROOT)).toEqual([key(1), key(2)]);
    expect(tree.parentOf(key(10))).toBe(key(1));
    expect(tree.verify()).toEqual([]);
    // Placement carries on breadth-first from the restored tree.
    expect(tree.place(key(3), 20)).toBe(key(1));
    expect(tree.place(key(4), 20)).toBe(key(2));
  });
});
