/** What a check knows of a node from the node itself: the parent and the children it names. */
export interface NodeLinks {
  readonly parent: string | null;
  readonly children: readonly string[] | ReadonlySet<string>;
}

/** What the root has recorded of a node: the parent it placed it under, and whether it lives. */
export interface Placement {
  readonly parent: string | null;
  readonly alive: boolean;
}

export interface AttachedViews {
  /** The node at an address as it reports itself: a `Peer`, the root's `node`, a process's events. */
  nodeAt(address: string): NodeLinks | undefined;
  /** The root's record of an address (its graph or `/api/topology`), when the root must agree too. */
  placementOf?(address: string): Placement | undefined;
}

/**
 * The one answer to "is this peer in the tree?" of the demo, the tests and the benchmarks: it names
 * a parent, and that parent names it among its children (its Join landed); when the root's view is
 * given, the root also has it alive under that same parent, and that parent, unless it is the root
 * itself (which has no record of its own), alive too.
 */
export function isAttached(address: string, { nodeAt, placementOf }: AttachedViews): boolean {
  const parent = nodeAt(address)?.parent ?? null;
  if (parent === null) return false;
  if (placementOf !== undefined) {
    const placed = placementOf(address);
    if (placed?.alive !== true || placed.parent !== parent) return false;
    if (placementOf(parent)?.alive === false) return false;
  }
  const children = nodeAt(parent)?.children;
  if (children === undefined) return false;
  return Array.isArray(children)
    ? children.includes(address)
    : (children as ReadonlySet<string>).has(address);
}

/**
 * The views of {@link isAttached} read from the root's topology (`root.topology()` or
 * `GET /api/topology`), with `nodeAt` for the peers: the root's own children are the nodes it has
 * alive under itself.
 */
export function topologyViews(
  topology: {
    root: string | null;
    nodes: ReadonlyArray<{ address: string; parent: string | null; alive: boolean }>;
  },
  nodeAt: (address: string) => NodeLinks | undefined,
): AttachedViews {
  const placements = new Map(topology.nodes.map((n) => [n.address, n]));
  const rootLinks: NodeLinks = {
    parent: null,
    children: topology.nodes
      .filter((n) => n.alive && n.parent === topology.root)
      .map((n) => n.address),
  };
  return {
    nodeAt: (address) => (address === topology.root ? rootLinks : nodeAt(address)),
    placementOf: (address) => placements.get(address),
  };
}
