/**
 * The load generator of the root capacity test, a child process: `nodes` simulated nodes register
 * with the root, are placed, then the root's two children send Reunion hellos whose paths are the
 * tree as the root placed it (one per simulated node, from the originator up to the root's child),
 * keeping `outstanding` unanswered per child; then every node re-advertises in a loop. Results go
 * back over IPC.
 */
import { type Address, encode, formatAddress, parseAddress } from '@p2p/codec';
import { advertiseLoop, everyoneAsks, helloBlast } from './sim-load.js';
import { SimNode } from './sim-node.js';

export interface SimRequest {
  root: string;
  nodes: number;
  durationMs: number;
  outstanding: number;
  /**
   * Against the raw reference root (raw-root.ts): no registration or placement, just two children
   * sending hellos whose paths have this many entries.
   */
  rawPathLength?: number;
}

export interface SimResult {
  registerPerSecond: number;
  firstPlacementsPerSecond: number;
  hellos: number;
  hellosPerSecond: number;
  meanPathLength: number;
  placements: number;
  placementsPerSecond: number;
}

/** The hello phase alone, against the raw reference root. */
async function simulateRaw(request: SimRequest, length: number): Promise<SimResult> {
  const root = parseAddress(request.root);
  const nodes = [new SimNode(), new SimNode()];
  try {
    await Promise.all(nodes.map((node) => node.listen()));
    await Promise.all(nodes.map((node) => node.connect(root)));
    const children = new Map<SimNode, Uint8Array[]>();
    for (const child of nodes) {
      const frames = Array.from({ length: 64 }, (_, i) => {
        const path: Address[] = Array.from({ length: length - 1 }, (_, j) => ({
          host: '127.0.0.1',
          port: 10_000 + ((i * 97 + j) % 50_000),
        }));
        path.push(child.address);
        return encode({ kind: 'reunion-hello', source: child.address, path }, 'binary');
      });
      children.set(child, frames);
    }
    const hellos = await helloBlast(children, request.durationMs, request.outstanding);
    return {
      registerPerSecond: Number.NaN,
      firstPlacementsPerSecond: Number.NaN,
      hellos,
      hellosPerSecond: (hellos * 1000) / request.durationMs,
      meanPathLength: length,
      placements: 0,
      placementsPerSecond: Number.NaN,
    };
  } finally {
    for (const node of nodes) node.close();
  }
}

async function simulate(request: SimRequest): Promise<SimResult> {
  if (request.rawPathLength !== undefined) return simulateRaw(request, request.rawPathLength);
  const root = parseAddress(request.root);
  const rootKey = formatAddress(root);
  const nodes = Array.from({ length: request.nodes }, () => new SimNode());
  try {
    await Promise.all(nodes.map((node) => node.listen()));
    await Promise.all(nodes.map((node) => node.connect(root)));
    const byKey = new Map(nodes.map((node) => [formatAddress(node.address), node]));

    const registerMs = await everyoneAsks(
      nodes,
      (node) =>
        node.send({ kind: 'register-request', source: node.address, address: node.address }),
      'register-response',
    );
    const parents = new Map<string, string>();
    const placeMs = await everyoneAsks(
      nodes,
      (node) => node.send({ kind: 'advertise-request', source: node.address }),
      'advertise-response',
      (node, parent) => parents.set(formatAddress(node.address), formatAddress(parent as Address)),
    );

    // One hello per node: its path up to the root's child, sent by that child.
    const children = new Map<SimNode, Uint8Array[]>();
    let entries = 0;
    for (const node of nodes) {
      const path: Address[] = [node.address];
      let key = formatAddress(node.address);
      for (let hops = 0; parents.get(key) !== rootKey && hops < 98; hops++) {
        key = parents.get(key) as string;
        path.push((byKey.get(key) as SimNode).address);
      }
      const child = byKey.get(key) as SimNode;
      const frame = encode({ kind: 'reunion-hello', source: child.address, path }, 'binary');
      children.set(child, [...(children.get(child) ?? []), frame]);
      entries += path.length;
    }
    process.send?.({ phase: 'hellos' });
    const hellos = await helloBlast(children, request.durationMs, request.outstanding);
    process.send?.({ phase: 'placements' });
    const placements = await advertiseLoop(nodes, request.durationMs);
    process.send?.({ phase: 'done' });
    return {
      registerPerSecond: (nodes.length * 1000) / registerMs,
      firstPlacementsPerSecond: (nodes.length * 1000) / placeMs,
      hellos,
      hellosPerSecond: (hellos * 1000) / request.durationMs,
      meanPathLength: entries / nodes.length,
      placements,
      placementsPerSecond: (placements * 1000) / request.durationMs,
    };
  } finally {
    for (const node of nodes) node.close();
  }
}

process.once('message', (request: SimRequest) => {
  simulate(request).then(
    (result) => process.send?.({ result }, () => process.disconnect()),
    (error: unknown) =>
      process.send?.({ error: String((error as Error)?.stack ?? error) }, () =>
        process.disconnect(),
      ),
  );
});
