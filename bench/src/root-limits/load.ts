/**
 * The load generator of the root limits bench, a child process (so that the root has its own
 * core): the root's two children, which send one Reunion hello per node of the tree (its path as
 * tree.ts builds it), `outstanding` unanswered each; and `advertisers` nodes that register, then
 * re-advertise in a loop. The two children keep their addresses from run to run (the stored tree
 * names them); the advertisers are new every run.
 */
import { encode, parseAddress } from '@p2p/codec';
import { advertiseLoop, everyoneAsks, helloBlast } from '../sim-load.js';
import { SimNode } from '../sim-node.js';
import { type BenchTree, pathOf } from './tree.js';

export interface LoadRequest {
  tree: BenchTree;
  durationMs: number;
  outstanding: number;
  advertisers: number;
}

export interface LoadResult {
  hellosPerSecond: number;
  placementsPerSecond: number;
  meanPathLength: number;
}

export type LoadMessage =
  | { kind: 'ready'; children: BenchTree['children'] }
  | { kind: 'result'; result: LoadResult }
  | { kind: 'error'; error: string };

const children = [new SimNode(), new SimNode()] as const;

/** Hello frames for every node, sorted by the child that sends them; built once per tree size. */
let frames: { n: number; byChild: [Uint8Array[], Uint8Array[]]; entries: number } | undefined;

function helloFrames(tree: BenchTree): NonNullable<typeof frames> {
  if (frames?.n === tree.n) return frames;
  const byChild: [Uint8Array[], Uint8Array[]] = [[], []];
  let entries = 0;
  for (let k = 2; k <= tree.n + 1; k++) {
    const { child, path } = pathOf(tree, k);
    const source = tree.children[child];
    byChild[child].push(encode({ kind: 'reunion-hello', source, path }, 'binary'));
    entries += path.length;
  }
  frames = { n: tree.n, byChild, entries };
  return frames;
}

async function run(request: LoadRequest): Promise<LoadResult> {
  const root = parseAddress(request.tree.root);
  const { byChild, entries } = helloFrames(request.tree);
  const advertisers = Array.from({ length: request.advertisers }, () => new SimNode());
  for (const child of children) child.helloBacks = 0;
  try {
    await Promise.all(children.map((child) => child.connect(root)));
    await Promise.all(advertisers.map((node) => node.listen()));
    await Promise.all(advertisers.map((node) => node.connect(root)));
    await everyoneAsks(
      advertisers,
      (node) =>
        node.send({ kind: 'register-request', source: node.address, address: node.address }),
      'register-response',
    );
    await everyoneAsks(
      advertisers,
      (node) => node.send({ kind: 'advertise-request', source: node.address }),
      'advertise-response',
    );
    const blast = new Map<SimNode, Uint8Array[]>([
      [children[0], byChild[0]],
      [children[1], byChild[1]],
    ]);
    const hellos = await helloBlast(blast, request.durationMs, request.outstanding);
    const placements = await advertiseLoop(advertisers, request.durationMs);
    return {
      hellosPerSecond: (hellos * 1000) / request.durationMs,
      placementsPerSecond: (placements * 1000) / request.durationMs,
      meanPathLength: entries / request.tree.n,
    };
  } finally {
    for (const node of advertisers) node.close();
  }
}

const reply = (message: LoadMessage): void => {
  process.send?.(message);
};

await Promise.all(children.map((child) => child.listen()));
process.on('message', (request: LoadRequest) => {
  run(request).then(
    (result) => reply({ kind: 'result', result }),
    (error: unknown) => reply({ kind: 'error', error: String((error as Error)?.stack ?? error) }),
  );
});
process.on('disconnect', () => {
  for (const child of children) child.close();
});
reply({ kind: 'ready', children: [children[0].address, children[1].address] });
