import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Peer } from '@p2p/peer';
import { afterEach, describe, expect, it } from 'vitest';
import type { RootServer } from '../src/index.js';
import { LosslessNetwork, type Node, numbered } from './lossless-network.js';

let network: LosslessNetwork;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await network.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('lossless under churn, in one process', () => {
  it('15 peers, three leaves sending every 25 ms, two interior peers closed and the root restarted: every survivor gets every Message once, in order', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2p-lossless-churn-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = join(dir, 'root.db');
    network = new LosslessNetwork();
    const first = await network.startRoot({ store });
    const port = first.address.split(':')[1];
    const peers: Peer[] = [];
    for (let i = 0; i < 15; i++) peers.push(await network.startPeer(first));
    const byAddress = new Map<string, Node>([
      [first.address, first.node],
      ...peers.map((p) => [p.address, p] as const),
    ]);
    await network.joined(peers, (p) => byAddress.get(p.parent ?? ''));
    const interior = peers
      .filter((p) => p.children.length > 0 && p.parent !== first.address)
      .slice(0, 2);
    const senders = peers.filter((p) => p.children.length === 0).slice(0, 3);
    expect(interior).toHaveLength(2);
    expect(senders).toHaveLength(3);

    const count = 120;
    const sends: Array<Promise<unknown>> = [];
    let second: RootServer | undefined;
    for (let n = 1; n <= count; n++) {
      if (n === 40) void interior[0]?.close(); // no Leave: its sockets close under the traffic
      if (n === 60) await first.close();
      if (n === 80) void interior[1]?.close();
      if (n === 100) second = await network.startRoot({ store, listen: `127.0.0.1:${port}` });
      for (const sender of senders) sends.push(sender.broadcast(`${sender.address}#${n}`));
      // The senders' pace (a send rate, not a wait for anything).
      await delay(25);
    }
    await Promise.all(sends);
    const survivors = peers.filter((p) => !interior.includes(p));
    const origins = senders.map((s) => s.address);
    await network.allDelivered(survivors, origins, count, 'every Message at every survivor');
    for (const node of survivors) {
      for (const sender of senders) {
        if (sender === node) continue;
        expect(network.texts(node, sender.address), `${sender.address} at ${node.address}`).toEqual(
          numbered(sender.address, count),
        );
      }
    }
    // The restarted root is a new run: it delivers what reaches it from then on, each once.
    const atRoot = network.delivered.get((second as RootServer).address) ?? [];
    expect(new Set(atRoot.map((m) => m.text)).size).toBe(atRoot.length);
  });
});
