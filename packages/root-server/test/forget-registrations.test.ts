import { formatAddress } from '@p2p/codec';
import { ManualClock } from '@p2p/peer';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, RootServer } from '../src/index.js';
import { closers, rawNode, receivedKind } from './bare-root.js';

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function metric(root: RootServer, name: string): Promise<number> {
  const body = await (await fetch(`http://${root.httpAddress}/metrics`)).text();
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describe('registrations of nodes that went away', () => {
  it('are forgotten after --forget-after without news, in the store too, and counted', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryStore();
    const root = await RootServer.start({
      listen: '127.0.0.1:0',
      store,
      clock,
      timings: { helloInterval: 100, rootTimeout: 1_000 },
      forgetAfter: 10_000,
    });
    closers.push(() => root.close());
    const forgotten: string[][] = [];
    root.on('forgotten', ({ addresses }) => forgotten.push(addresses));

    // One node registers and places itself, then falls silent: turned off by the sweep.
    const gone = await rawNode();
    await gone.node.send(root.address, {
      kind: 'register-request',
      source: gone.address,
      address: gone.address,
    });
    await receivedKind(gone, 'register-response');
    await gone.node.send(root.address, { kind: 'advertise-request', source: gone.address });
    await receivedKind(gone, 'advertise-response');
    const key = formatAddress(gone.address);
    clock.advance(2_000);
    expect(root.node.registry.graph.isAlive(key)).toBe(false);
    expect(root.node.registry.isRegistered(key)).toBe(true);

    // Still registered just before the forget time has passed since it was last heard from.
    clock.advance(8_000 - 1_000);
    expect(root.node.registry.isRegistered(key)).toBe(true);
    expect(await metric(root, 'p2p_forgotten_registrations_total')).toBe(0);

    // The forget pass runs every tenth of the forget time.
    clock.advance(2_000);
    expect(forgotten).toEqual([[key]]);
    expect(root.node.registry.isRegistered(key)).toBe(false);
    await root.node.registry.persisted();
    expect(await store.load()).toEqual([]);
    expect(root.topology().nodes).toEqual([]);
    expect(await metric(root, 'p2p_forgotten_registrations_total')).toBe(1);
    expect(await metric(root, 'p2p_registered_nodes')).toBe(0);

    // Coming back means registering again, which works.
    await gone.node.send(root.address, {
      kind: 'register-request',
      source: gone.address,
      address: gone.address,
    });
    await receivedKind(gone, 'register-response');
    expect(root.node.registry.isRegistered(key)).toBe(true);
  });

  it('by default, are kept for a day', async () => {
    const clock = new ManualClock(0);
    const root = await RootServer.start({ listen: '127.0.0.1:0', http: null, clock });
    closers.push(() => root.close());
    await root.node.registry.register('127.0.0.1:1', 0);
    clock.advance(24 * 60 * 60 * 1000);
    expect(root.node.registry.isRegistered('127.0.0.1:1')).toBe(true);
    clock.advance(60_001);
    expect(root.node.registry.isRegistered('127.0.0.1:1')).toBe(false);
    expect(root.node.rootCounters.forgotten).toBe(1);
  });

  it('a forget time that is not a positive number is refused before anything opens', async () => {
    for (const forgetAfter of [0, -1, Number.NaN]) {
      await expect(
        RootServer.start({ listen: '127.0.0.1:0', http: null, forgetAfter }),
      ).rejects.toMatchObject({ name: 'RootError', code: 'ERR_ROOT_INVALID_OPTION' });
    }
  });
});
