import type { Packet } from '@p2p/codec';
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
