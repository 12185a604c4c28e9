import type { Packet } from '@p2p/codec';
import { until } from '@p2p/test-net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, type NodePosition, storeError } from '../src/index.js';
import { bareRoot, closers, dropsOf, rawNode, receivedKind } from './bare-root.js';

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A store whose writes fail while `failing` (a database gone, a disk full). */
class FailingStore extends MemoryStore {
  failing = false;
  #fail(): void {
    if (this.failing)
      throw storeError('ERR_ROOT_STORE_UNREACHABLE', 'db', 'the database does not answer');
  }
  override async register(address: string, now: number): Promise<boolean> {
    this.#fail();
    return super.register(address, now);
  }
  override async setPosition(position: NodePosition): Promise<void> {
    this.#fail();
    await super.setPosition(position);
  }
  override async setPositions(positions: Iterable<NodePosition>): Promise<void> {
    this.#fail();
    await super.setPositions(positions);
  }
}

describe('a store that fails under a running root', () => {
  it('leaves that Register or Advertise unanswered, and answers again once the store is back', async () => {
    const store = new FailingStore();
    const root = await bareRoot({}, store);
    const node = await rawNode();
    const register: Packet = {
      kind: 'register-request',
      source: node.address,
      address: node.address,
    };
    const advertise: Packet = { kind: 'advertise-request', source: node.address };

    store.failing = true;
    await node.node.send(root.address, register);
    await dropsOf(root, 'store-failed', 1);
    store.failing = false;
    await node.node.send(root.address, register);
    await receivedKind(node, 'register-response');

    store.failing = true;
    await node.node.send(root.address, advertise);
    await dropsOf(root, 'store-failed', 2);
    expect(node.received.map((packet) => packet.kind)).toEqual(['register-response']);
    store.failing = false;
    await node.node.send(root.address, advertise);
    await receivedKind(node, 'advertise-response');
    expect(await store.load()).toEqual([
      expect.objectContaining({ address: `127.0.0.1:${node.address.port}`, parent: root.address }),
    ]);
  });
});

/** A store whose registrations wait until released: a database that is slow to answer. */
class SlowStore extends MemoryStore {
  #release: () => void = () => {};
  #gate: Promise<void> = Promise.resolve();
  waiting = 0;
  #entered: () => void = () => {};
  /** Resolves when a registration waits. */
  entered: Promise<void> = Promise.resolve();
  hold(): void {
    this.entered = new Promise((resolve) => {
      this.#entered = resolve;
    });
    this.#gate = new Promise((resolve) => {
      this.#release = resolve;
    });
  }
  release(): void {
    this.#release();
  }
  override async register(address: string, now: number): Promise<boolean> {
    this.waiting++;
    this.#entered();
    await this.#gate;
    this.waiting--;
    return super.register(address, now);
  }
}

describe('a store that is slow to answer', () => {
  it('holds only the Registers waiting for it: hellos are answered meanwhile, and each Register once, after the write', async () => {
    const store = new SlowStore();
    const root = await bareRoot({}, store);
    const placed = await rawNode();
    const newcomer = await rawNode();
    const key = `127.0.0.1:${placed.address.port}`;
    await root.registry.register(key, Date.now());
    expect(root.registry.advertise(key, Date.now())).toBe(root.address);

    store.hold();
    const register: Packet = {
      kind: 'register-request',
      source: newcomer.address,
      address: newcomer.address,
    };
    await newcomer.node.send(root.address, register);
    await newcomer.node.send(root.address, register);
    await store.entered;
    // The root's event loop is free: a hello of a placed node is answered while the write waits.
    await placed.node.send(root.address, {
      kind: 'reunion-hello',
      source: placed.address,
      path: [placed.address],
    });
    await receivedKind(placed, 'reunion-hello-back');
    expect(newcomer.received).toEqual([]);
    expect(root.registry.isRegistered(`127.0.0.1:${newcomer.address.port}`)).toBe(false);

    store.release();
    await until(
      'both Registers answered',
      () => newcomer.received.filter((p) => p.kind === 'register-response').length === 2,
      [newcomer.node as never],
      ['packet'],
      10_000,
    );
    expect(root.rootCounters.registrations).toBe(1);
    expect(await store.load()).toHaveLength(2);
  });
});
