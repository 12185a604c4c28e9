/**
 * The load of the root capacity tests, shared by root-sim.ts and root-limits/: requests every
 * simulated node sends once, the root's two children sending hellos, and nodes re-advertising.
 */
import type { Address } from '@p2p/codec';
import type { SimNode } from './sim-node.js';

const now = (): number => performance.now();

/** Sends one request per node and waits for every answer of `kind`; returns the elapsed ms. */
export async function everyoneAsks(
  nodes: SimNode[],
  ask: (node: SimNode) => void,
  kind: 'register-response' | 'advertise-response',
  onAnswer: (node: SimNode, parent: Address | undefined) => void = () => {},
): Promise<number> {
  const start = now();
  await Promise.all(
    nodes.map(
      (node) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${kind} within 30 s`)), 30_000);
          node.onPacket = (packet) => {
            if (packet.kind !== kind) return;
            clearTimeout(timer);
            onAnswer(node, packet.kind === 'advertise-response' ? packet.parent : undefined);
            node.onPacket = () => {};
            resolve();
          };
          ask(node);
        }),
    ),
  );
  return now() - start;
}

/** The root's two children send hellos for every path, `outstanding` unanswered each. */
export async function helloBlast(
  children: Map<SimNode, Uint8Array[]>,
  durationMs: number,
  outstanding: number,
): Promise<number> {
  let total = 0;
  const end = now() + durationMs;
  const done: Promise<void>[] = [];
  for (const [child, frames] of children) {
    if (frames.length === 0) continue;
    let next = 0;
    let sent = 0;
    const refill = (): void => {
      if (now() >= end) return;
      const room = outstanding - (sent - child.helloBacks);
      if (room < outstanding / 4) return;
      const batch: Uint8Array[] = [];
      for (let i = 0; i < room; i++) {
        batch.push(frames[next] as Uint8Array);
        next = (next + 1) % frames.length;
      }
      sent += room;
      child.writeMany(batch);
    };
    const start = child.helloBacks;
    child.onHelloBacks = refill;
    done.push(
      new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (now() < end) return;
          clearInterval(check);
          child.onHelloBacks = () => {};
          total += child.helloBacks - start;
          resolve();
        }, 10);
      }),
    );
    refill();
  }
  await Promise.all(done);
  return total;
}

/** Every node re-advertises as soon as it has its answer, for `durationMs`. */
export async function advertiseLoop(nodes: SimNode[], durationMs: number): Promise<number> {
  let answers = 0;
  const end = now() + durationMs;
  await Promise.all(
    nodes.map(
      (node) =>
        new Promise<void>((resolve) => {
          const ask = (): void => node.send({ kind: 'advertise-request', source: node.address });
          const stop = setTimeout(resolve, durationMs + 2_000);
          node.onPacket = (packet) => {
            if (packet.kind !== 'advertise-response') return;
            answers++;
            if (now() < end) {
              ask();
              return;
            }
            clearTimeout(stop);
            node.onPacket = () => {};
            resolve();
          };
          ask();
        }),
    ),
  );
  return answers;
}
