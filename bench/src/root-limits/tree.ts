/**
 * The full binary tree of the root limits bench: `n` nodes numbered as in a binary heap, the root
 * being 1 (so node k's parent is k >> 1, and nodes 2 and 3 are the root's two children). The two
 * children are real listeners of the load generator (they receive the hello backs); every other
 * node is a made-up loopback address that nothing listens on.
 */
import type { Address } from '@p2p/codec';
import type { StoredNode } from '@p2p/root-server';

export interface BenchTree {
  /** The root's 'HOST:PORT'. */
  root: string;
  /** The root's two children, the load generator's listeners. */
  children: [Address, Address];
  /** Nodes in the tree, the root not counted. */
  n: number;
}

/** Node k's address (2 ≤ k ≤ n + 1). */
export function addressOf(tree: BenchTree, k: number): Address {
  if (k === 2 || k === 3) return tree.children[k - 2] as Address;
  return { host: `127.${1 + ((k >> 16) & 127)}.${(k >> 8) & 255}.${k & 255}`, port: 7000 };
}

const keyOf = (address: Address): string => `${address.host}:${address.port}`;

/** Every node as stored, parents before children, all alive. */
export function* storedNodes(tree: BenchTree, now: number): Generator<StoredNode> {
  for (let k = 2; k <= tree.n + 1; k++) {
    yield {
      address: keyOf(addressOf(tree, k)),
      registeredAt: now,
      parent: k < 4 ? tree.root : keyOf(addressOf(tree, k >> 1)),
      alive: true,
      lastSeen: now,
    };
  }
}

/** Node k's Reunion path: itself, then its ancestors up to the root's child (index 0 or 1). */
export function pathOf(tree: BenchTree, k: number): { child: 0 | 1; path: Address[] } {
  const path: Address[] = [];
  let at = k;
  for (; at > 3; at >>= 1) path.push(addressOf(tree, at));
  path.push(addressOf(tree, at));
  return { child: at === 2 ? 0 : 1, path };
}
