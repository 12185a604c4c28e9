import { formatAddress, type Packet } from '@p2p/codec';
import { systemClock } from '@p2p/peer';
import { StreamNode } from '@p2p/stream';
import { until } from '@p2p/test-net';
import { MemoryStore, Registry, RootNode, type RootNodeOptions, type Store } from '../src/index.js';

/** What the helpers opened, to close after each test (newest first). */
export const closers: Array<() => Promise<void>> = [];

export const wallClock = { ...systemClock, now: () => Date.now() };

/** A RootNode on a real transport with a memory store, for the root's rules in isolation. */
export async function bareRoot(
  options: Partial<RootNodeOptions> = {},
  store: Store = new MemoryStore(),
) {
  const transport = await StreamNode.listen({ listen: '127.0.0.1:0' });
  const registry = new Registry({
    root: formatAddress(transport.address),
    store,
  });
  await registry.restore(Date.now());
  const root = new RootNode({ transport, registry, clock: wallClock, ...options });
  closers.push(async () => {
    root.stop();
    await transport.close();
    await registry.close();
  });
  return root;
}

/** A raw node that sends what it is told and records what it receives. */
export async function rawNode() {
  const node = await StreamNode.listen({ listen: '127.0.0.1:0' });
  const received: Packet[] = [];
  node.on('packet', ({ packet }) => received.push(packet));
  closers.push(() => node.close());
  return { node, received, address: node.address };
}

/** Resolves once `raw` has received a packet of `kind`. */
export function receivedKind(raw: { node: StreamNode; received: Packet[] }, kind: Packet['kind']) {
  return until(
    `a ${kind}`,
    () => raw.received.some((p) => p.kind === kind),
    [raw.node as never],
    ['packet'],
    10_000,
  );
}

/** Resolves once `root` has dropped `count` packets for `reason`. */
export function dropsOf(
  root: RootNode,
  reason: keyof RootNode['counters']['dropped'],
  count: number,
) {
  return until(
    `${count} drop(s) for ${reason}`,
    () => root.counters.dropped[reason] === count,
    [root],
    ['dropped'],
    10_000,
  );
}
