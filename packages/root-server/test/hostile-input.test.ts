import { type Address, formatAddress, type Packet, parseAddress } from '@p2p/codec';
import { Peer } from '@p2p/peer';
import type { StreamNode } from '@p2p/stream';
import { until } from '@p2p/test-net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { RootServer } from '../src/index.js';
import { bareRoot, closers, dropsOf, rawNode, receivedKind } from './bare-root.js';

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('the root refuses what it should', () => {
  it('drops Advertise from an unregistered node without answering', async () => {
    const root = await bareRoot();
    const stranger = await rawNode();
    await stranger.node.send(root.address, { kind: 'advertise-request', source: stranger.address });
    await dropsOf(root, 'not-registered', 1);
    expect(stranger.received).toEqual([]);
    expect(root.registry.graph.size).toBe(0);
  });

  it('drops a Register whose body names another node than the header', async () => {
    const root = await bareRoot();
    const liar = await rawNode();
    await liar.node.send(root.address, {
      kind: 'register-request',
      source: liar.address,
      address: parseAddress('127.0.0.1:9'),
    });
    await dropsOf(root, 'address-mismatch', 1);
    expect(root.registry.isRegistered(formatAddress(liar.address))).toBe(false);
  });

  it('with source-IP checking, refuses a Register claiming an address that is not the connection', async () => {
    const root = await bareRoot({ verifySourceIp: true });
    const node = await rawNode();
    const spoofed: Address = { host: '127.0.0.2', port: node.address.port };
    await node.node.send(root.address, {
      kind: 'register-request',
      source: spoofed,
      address: spoofed,
    });
    await dropsOf(root, 'spoofed-source', 1);
    await node.node.send(root.address, {
      kind: 'register-request',
      source: node.address,
      address: node.address,
    });
    await receivedKind(node, 'register-response');
    expect(root.registry.isRegistered(formatAddress(node.address))).toBe(true);
  });

  it('with source-IP checking, a forged hello puts no turned-off node back into the tree', async () => {
    const root = await bareRoot({ verifySourceIp: true });
    const attacker = await rawNode(); // on 127.0.0.1
    const victim: Address = { host: '127.0.0.2', port: attacker.address.port };
    const key = formatAddress(victim);
    // The victim was placed under the root, then went silent and was turned off.
    const long = Date.now() - 100_000;
    await root.registry.register(key, long);
    expect(root.registry.advertise(key, long)).toBe(root.address);
    expect(root.sweep(36_000)).toEqual([key]);
    // A hello in its name would prove its path [victim] and re-attach it.
    await attacker.node.send(root.address, {
      kind: 'reunion-hello',
      source: victim,
      path: [victim],
    });
    await dropsOf(root, 'spoofed-source', 1);
    expect(root.rootCounters.reattached).toBe(0);
    expect(root.registry.graph.isAlive(key)).toBe(false);
  });

  it('refuses registrations beyond the registry limit', async () => {
    const root = await bareRoot({ maxRegistered: 1 });
    const [a, b] = [await rawNode(), await rawNode()];
    await a.node.send(root.address, {
      kind: 'register-request',
      source: a.address,
      address: a.address,
    });
    await b.node.send(root.address, {
      kind: 'register-request',
      source: b.address,
      address: b.address,
    });
    await dropsOf(root, 'registry-full', 1);
    expect(root.registry.graph.size).toBe(1);
  });

  it('caps a registration flood from many addresses and keeps serving an honest node', async () => {
    const root = await bareRoot({ maxRegistered: 200 });
    const honest = await rawNode();
    await honest.node.send(root.address, {
      kind: 'register-request',
      source: honest.address,
      address: honest.address,
    });
    await until(
      'honest registered',
      () => root.registry.graph.size === 1,
      [root],
      ['node-registered'],
      10_000,
    );
    const attacker = await rawNode();
    const flood = Array.from({ length: 1_000 }, (_, i) => {
      const claimed: Address = { host: '127.0.0.1', port: 20_000 + i };
      return attacker.node.send(root.address, {
        kind: 'register-request',
        source: claimed,
        address: claimed,
      });
    });
    await Promise.all(flood);
    await dropsOf(root, 'registry-full', 801);
    expect(root.registry.graph.size).toBe(200);
    await honest.node.send(root.address, { kind: 'advertise-request', source: honest.address });
    await receivedKind(honest, 'advertise-response');
  });

  it('answers no hello with a forged, looping, stale or 99-entry path', async () => {
    const root = await bareRoot();
    const child = await rawNode();
    const key = formatAddress(child.address);
    await child.node.send(root.address, {
      kind: 'register-request',
      source: child.address,
      address: child.address,
    });
    await until(
      'registered',
      () => root.registry.isRegistered(key),
      [root],
      ['node-registered'],
      10_000,
    );
    await child.node.send(root.address, { kind: 'advertise-request', source: child.address });
    await until(
      'placed',
      () => root.registry.graph.parentOf(key) === root.address,
      [root],
      ['placed'],
      10_000,
    );
    const other = parseAddress('127.0.0.1:9');
    const hello = (path: Address[]) =>
      child.node.send(root.address, { kind: 'reunion-hello', source: child.address, path });
    await hello([other]); // last entry is not the sender
    await hello([child.address, child.address]); // a loop
    await hello([other, child.address]); // the tree has no such node below the child
    await hello([...Array.from({ length: 98 }, () => other), child.address]);
    await until(
      'four drops',
      () => root.counters.dropped['forged-path'] + root.counters.dropped['stale-path'] === 4,
      [root],
      ['dropped'],
      10_000,
    );
    expect(child.received.filter((p) => p.kind === 'reunion-hello-back')).toEqual([]);
    await hello([child.address]);
    await receivedKind(child, 'reunion-hello-back');
  });
});

describe('random valid and invalid packets against a live root and its peers', () => {
  it('no crash, no unhandled rejection, tree invariants intact, and the honest peers heal', {
    timeout: 60_000,
  }, async () => {
    const server = await RootServer.start({ listen: '127.0.0.1:0', http: null, timings: 'fast' });
    closers.push(() => server.close());
    const peers: Peer[] = [];
    for (let i = 0; i < 4; i++) {
      const peer = await Peer.start({
        listen: '127.0.0.1:0',
        root: server.address,
        timings: 'fast',
      });
      closers.push(() => peer.close());
      peers.push(peer);
    }
    const attackers = await Promise.all([rawNode(), rawNode(), rawNode()]);
    const pool: Address[] = [
      parseAddress(server.address),
      ...peers.map((p) => parseAddress(p.address)),
      ...attackers.map((a) => a.address),
      parseAddress('127.0.0.1:1'),
      parseAddress('127.0.0.3:6500'),
    ];
    const address = fc.constantFrom(...pool);
    const path = fc.array(address, { minLength: 1, maxLength: 99 });
    const packet: fc.Arbitrary<Packet> = fc.oneof(
      fc.record({ kind: fc.constant('register-request' as const), source: address, address }),
      fc.record({ kind: fc.constant('register-response' as const), source: address }),
      fc.record({ kind: fc.constant('advertise-request' as const), source: address }),
      fc.record({
        kind: fc.constant('advertise-response' as const),
        source: address,
        parent: address,
      }),
      fc.record({ kind: fc.constant('join' as const), source: address }),
      fc.record({
        kind: fc.constant('message' as const),
        source: address,
        text: fc.string({ maxLength: 40 }),
      }),
      fc.record({ kind: fc.constant('reunion-hello' as const), source: address, path }),
      fc.record({ kind: fc.constant('reunion-hello-back' as const), source: address, path }),
    );
    const targets = [server.address, ...peers.map((p) => p.address)];
    const plan = fc.sample(
      fc.tuple(fc.nat(attackers.length - 1), fc.nat(targets.length - 1), packet),
      { seed: 20261121, numRuns: 600 },
    );
    const sends = plan.map(([from, to, p]) =>
      (attackers[from] as { node: StreamNode }).node.send(targets[to] as string, p).catch(() => {}),
    );
    await Promise.all(sends);
    expect(server.node.registry.graph.verify()).toEqual([]);

    // Honest peers heal (a forged Advertise may have moved one in the root's graph: its hellos go
    // stale, it times out and advertises again) and hear the next broadcast.
    const placed = () =>
      peers.every((p) => {
        const node = server.topology().nodes.find((n) => n.address === p.address);
        return p.reunion === 'attached' && node?.alive === true && node.parent === p.parent;
      });
    const got = new Map(peers.map((p) => [p.address, 0]));
    for (const p of peers) {
      p.on('message', ({ text }) => {
        if (text === 'after the storm') got.set(p.address, (got.get(p.address) ?? 0) + 1);
      });
    }
    for (let attempt = 1; ; attempt++) {
      const events = ['placed', 'parent', 'turned-off', 'hello-answered'];
      await until(
        'honest peers attached where the root thinks',
        placed,
        [server, ...peers],
        events,
        30_000,
      );
      await server.node.broadcast('after the storm');
      try {
        await until(
          'everyone heard',
          () => [...got.values()].every((n) => n >= 1),
          peers,
          ['message'],
          5_000,
        );
        break;
      } catch (error) {
        // A peer whose hello went stale may have moved while the message was on its way.
        if (attempt === 3) throw error;
      }
    }
    expect(server.node.registry.graph.verify()).toEqual([]);
  });
});
