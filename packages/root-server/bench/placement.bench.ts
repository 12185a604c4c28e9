/**
 * Cost of one Advertise (placement) at 1k, 10k and 100k registered nodes, and memory per
 * registered node, beside a breadth-first scan of the same tree (the reference implementation's
 * approach: walk from the root until an open node turns up). Run with `pnpm bench` (or
 * `pnpm --filter @p2p/root-server bench`).
 *
 * Each sample turns off a batch of random leaves (untimed) and times placing them back, so the
 * tree stays full-sized and every placement is a real re-advertisement. Figures are medians over
 * the samples, per placement.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TreeGraph } from '../src/placement/tree.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROOT = '10.255.255.255:5000';
const SIZES = [1_000, 10_000, 100_000];

const keyOf = (i: number): string =>
  `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${6000 + (i % 1000)}`;

/** A deterministic generator, so that runs are comparable. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The reference: children lists and a breadth-first scan from the root on every placement. */
class ScanTree {
  readonly #children = new Map<string, string[]>();
  readonly #parent = new Map<string, string | null>();
  readonly #root: string;

  constructor(graph: TreeGraph) {
    this.#root = graph.root;
    this.#children.set(graph.root, graph.childrenOf(graph.root));
    for (const node of graph.nodes()) {
      this.#parent.set(node.address, node.parent);
      this.#children.set(node.address, graph.childrenOf(node.address));
    }
  }

  isLeaf(key: string): boolean {
    return this.#parent.get(key) != null && this.#children.get(key)?.length === 0;
  }

  /** Turns off a leaf; returns its previous parent. */
  turnOff(key: string): string {
    const parent = this.#parent.get(key) as string;
    const siblings = this.#children.get(parent) as string[];
    siblings.splice(siblings.indexOf(key), 1);
    this.#parent.set(key, null);
    return parent;
  }

  place(requester: string, previous: string | null): string {
    let fallback: string | undefined;
    const queue = [this.#root];
    for (let i = 0; i < queue.length; i++) {
      const key = queue[i] as string;
      if (key === requester) continue; // neither it nor its subtree
      const children = this.#children.get(key) as string[];
      if (children.length < 2) {
        if (key !== previous) return this.#attach(requester, key);
        fallback ??= key;
      }
      for (const child of children) queue.push(child);
    }
    return this.#attach(requester, fallback as string);
  }

  #attach(requester: string, parent: string): string {
    (this.#children.get(parent) as string[]).push(requester);
    this.#parent.set(requester, parent);
    return parent;
  }
}

function grow(n: number): TreeGraph {
  const graph = new TreeGraph(ROOT);
  for (let i = 0; i < n; i++) {
    const key = keyOf(i);
    graph.add(key, 0);
    graph.place(key, 0);
  }
  return graph;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * Median µs per placement: `samples` times, turn off `batch` random leaves, then time placing
 * them back.
 */
function measure(
  n: number,
  samples: number,
  batch: number,
  isLeaf: (key: string) => boolean,
  turnOff: (key: string) => void,
  place: (key: string) => void,
): number {
  const next = random(n);
  const perOp: number[] = [];
  const leaves: string[] = [];
  for (let s = 0; s < samples; s++) {
    leaves.length = 0;
    while (leaves.length < batch) {
      const key = keyOf(Math.floor(next() * n));
      if (isLeaf(key) && !leaves.includes(key)) leaves.push(key);
    }
    for (const key of leaves) turnOff(key);
    const started = process.hrtime.bigint();
    for (const key of leaves) place(key);
    perOp.push(Number(process.hrtime.bigint() - started) / 1000 / batch);
  }
  return median(perOp);
}

function bytesPerNode(n: number): number {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const graph = grow(n);
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (graph.size !== n) throw new Error('unexpected size');
  return (after - before) / n;
}

interface Row {
  n: number;
  tree: number;
  scan: number;
  bytes: number;
  depth: number;
}

const rows: Row[] = [];
const started = performance.now();
for (const n of SIZES) {
  const graph = grow(n);
  const scan = new ScanTree(graph);
  const depth = graph.maxDepth;
  let sink = 0;
  // Warm-up, then the measured run.
  for (const samples of [50, 400]) {
    measure(
      n,
      samples,
      100,
      (key) => graph.childrenOf(key).length === 0 && graph.isAlive(key),
      (key) => graph.turnOff(key),
      (key) => {
        sink += graph.place(key, 0).length;
      },
    );
  }
  const tree = measure(
    n,
    400,
    100,
    (key) => graph.childrenOf(key).length === 0 && graph.isAlive(key),
    (key) => graph.turnOff(key),
    (key) => {
      sink += graph.place(key, 0).length;
    },
  );
  const previous = new Map<string, string>();
  const scanSamples = n >= 100_000 ? 40 : 100;
  const scanBatch = n >= 100_000 ? 5 : 20;
  const reference = measure(
    n,
    scanSamples,
    scanBatch,
    (key) => scan.isLeaf(key),
    (key) => previous.set(key, scan.turnOff(key)),
    (key) => {
      sink += scan.place(key, previous.get(key) ?? null).length;
    },
  );
  if (graph.verify().length > 0 || sink === 0) throw new Error('inconsistent graph');
  rows.push({ n, tree, scan: reference, bytes: bytesPerNode(n), depth });
}

const pad = (text: string, width: number) => text.padStart(width);
const fmt = (value: number, digits = 2) => value.toFixed(digits);
console.log(
  '\nPlacement per Advertise (re-advertising a leaf), median µs; memory per registered node\n',
);
console.log(
  `${pad('nodes', 9)} | ${pad('depth', 5)} | ${pad('TreeGraph µs', 12)} | ${pad('BFS scan µs', 12)} | ${pad('scan / tree', 11)} | ${pad('bytes/node', 10)}`,
);
console.log(
  `${'-'.repeat(9)}-|-${'-'.repeat(5)}-|-${'-'.repeat(12)}-|-${'-'.repeat(12)}-|-${'-'.repeat(11)}-|-${'-'.repeat(10)}`,
);
for (const row of rows) {
  console.log(
    `${pad(row.n.toLocaleString('en'), 9)} | ${pad(String(row.depth), 5)} | ${pad(fmt(row.tree), 12)} | ${pad(fmt(row.scan), 12)} | ${pad(`${fmt(row.scan / row.tree, 0)}x`, 11)} | ${pad(fmt(row.bytes, 0), 10)}`,
  );
}
const first = rows[0] as Row;
const last = rows[rows.length - 1] as Row;
console.log(
  `\nTreeGraph ${last.n.toLocaleString('en')} / ${first.n.toLocaleString('en')}: ${fmt(last.tree / first.tree)}x (goal: within 3x)`,
);
console.log(
  `BFS scan / TreeGraph at ${last.n.toLocaleString('en')}: ${fmt(last.scan / last.tree, 0)}x (goal: at least 100x)`,
);
console.log(`Node ${process.version}, ${fmt((performance.now() - started) / 1000, 1)} s`);
