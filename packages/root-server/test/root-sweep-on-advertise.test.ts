import { formatAddress, type Packet } from '@p2p/codec';
import { ManualClock } from '@p2p/peer';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addRootServiceOptions,
  RootServer,
  type RootServiceFlags,
  rootServerOptionsFrom,
} from '../src/index.js';
import { bareRoot, closers, rawNode, receivedKind } from './bare-root.js';

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

type Raw = Awaited<ReturnType<typeof rawNode>>;

/** Registers and advertises `raw`; resolves with the parent the root gave it. */
async function joinTree(raw: Raw, root: string): Promise<string> {
  await raw.node.send(root, {
    kind: 'register-request',
    source: raw.address,
    address: raw.address,
  });
  await receivedKind(raw, 'register-response');
  await raw.node.send(root, { kind: 'advertise-request', source: raw.address });
  await receivedKind(raw, 'advertise-response');
  const answer = raw.received.find((p) => p.kind === 'advertise-response') as Extract<
    Packet,
    { kind: 'advertise-response' }
  >;
  return formatAddress(answer.parent);
}

describe('placing a node after others went silent', () => {
  it('turns off nodes silent past the root timeout first, so nobody is placed under them', async () => {
    const clock = new ManualClock();
    const root = await bareRoot({ clock, rootTimeout: 1_000 });
    const [a, b, c] = [await rawNode(), await rawNode(), await rawNode()];
    expect(await joinTree(a, root.address)).toBe(root.address);
    expect(await joinTree(b, root.address)).toBe(root.address);

    clock.advance(900);
    await b.node.send(root.address, {
      kind: 'reunion-hello',
      source: b.address,
      path: [b.address],
    });
    await receivedKind(b, 'reunion-hello-back');
    // A has been silent for 1,500 ms, B for 600 ms; no periodic sweep has run (there is none here).
    clock.advance(600);
    const turnedOff: string[][] = [];
    root.on('turned-off', ({ addresses }) => turnedOff.push(addresses));

    // Without the sweep before placing, C would go under A: the root's two slots are taken.
    expect(await joinTree(c, root.address)).toBe(root.address);
    expect(turnedOff).toEqual([[formatAddress(a.address)]]);
    expect(root.registry.graph.childrenOf(root.address)).toEqual([
      formatAddress(b.address),
      formatAddress(c.address),
    ]);
  });
});

describe('believing a node dead', () => {
  // A mixed network with a short root timeout (a quarter is 3.75 s): reference peers say hello
  // every 4 s and more. A and B are placed under the root; only B says hello, `helloAt` ms later;
  // a newcomer C advertises `silentFor` ms after placement. Resolves with C's parent.
  async function newcomerParent(
    helloAt: number,
    silentFor: number,
    start: (clock: ManualClock) => Promise<{ address: string }> = (clock) =>
      bareRoot({ clock, rootTimeout: 15_000, helloInterval: 4_000 }),
  ) {
    const clock = new ManualClock();
    const root = await start(clock);
    const [a, b, c] = [await rawNode(), await rawNode(), await rawNode()];
    expect(await joinTree(a, root.address)).toBe(root.address);
    expect(await joinTree(b, root.address)).toBe(root.address);
    clock.advance(helloAt);
    await b.node.send(root.address, {
      kind: 'reunion-hello',
      source: b.address,
      path: [b.address],
    });
    await receivedKind(b, 'reunion-hello-back');
    clock.advance(silentFor - helloAt);
    const parent = await joinTree(c, root.address);
    return { parent, a: formatAddress(a.address), b: formatAddress(b.address) };
  }

  it('never within two hello intervals, even when a quarter of the root timeout is shorter', async () => {
    // A silent for 5 s (past 15 s / 4, within two hello intervals), B for 0.5 s: A is alive.
    const { parent, a } = await newcomerParent(4_500, 5_000);
    expect(parent).toBe(a);
  });

  it('past two hello intervals and a quarter of the root timeout, a newcomer goes elsewhere', async () => {
    // A silent for 8.5 s, B for 1.5 s.
    const { parent, b } = await newcomerParent(7_000, 8_500);
    expect(parent).toBe(b);
  });

  // The service's --hello-interval reaches the floor: the same network with the root started from
  // its flags, a hello interval of 4 s against the fast profile's 250 ms.
  async function fromFlags(clock: ManualClock, flags: string[]) {
    const command = addRootServiceOptions(new Command('p2p-root').exitOverride());
    command.parse(['--timings', 'fast', '--root-timeout', '15000', ...flags], { from: 'user' });
    const root = await RootServer.start({
      ...rootServerOptionsFrom(command.opts<RootServiceFlags>()),
      listen: '127.0.0.1:0',
      http: null,
      store: ':memory:',
      clock,
    });
    closers.push(() => root.close());
    return root;
  }

  it("the root service's --hello-interval sets that floor", async () => {
    // A silent for 5 s: past a quarter of the root timeout, within two 4 s hello intervals.
    const withFlag = await newcomerParent(4_500, 5_000, (clock) =>
      fromFlags(clock, ['--hello-interval', '4000']),
    );
    expect(withFlag.parent).toBe(withFlag.a);
    const withoutFlag = await newcomerParent(4_500, 5_000, (clock) => fromFlags(clock, []));
    expect(withoutFlag.parent).toBe(withoutFlag.b);
  });
});
