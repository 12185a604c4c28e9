import type { Framing } from '@p2p/codec';
import type { StreamNode } from '@p2p/stream';
import type { RootNode } from './root-node.js';

/** One node of `/api/topology` (docs/architecture.md), with a few extra fields the dashboard shows. */
export interface TopologyNode {
  address: string;
  parent: string | null;
  alive: boolean;
  lastSeen: string;
  depth: number | null;
  children: string[];
  framing: Framing;
}

export interface Topology {
  root: string;
  nodes: TopologyNode[];
}

/** The tree of `node` as `/api/topology` shows it; `transport` knows each node's framing. */
export function topologyOf(node: RootNode, transport: StreamNode): Topology {
  const graph = node.registry.graph;
  return {
    root: node.address,
    nodes: node.registry.topology().map((view) => ({
      address: view.address,
      parent: view.parent,
      alive: view.alive,
      lastSeen: new Date(view.lastSeen).toISOString(),
      depth: graph.depthOf(view.address) ?? null,
      children: graph.childrenOf(view.address),
      framing: transport.framingFor(view.address),
    })),
  };
}
