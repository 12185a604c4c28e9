import type { Address, Packet } from '@p2p/codec';
import { expect, it } from 'vitest';
import { ManualClock, Peer } from '../src/index.js';
import { addr, FakeTransport, placeUnder, settle } from './fake-transport.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const P1 = '127.0.0.1:6601';
const CHILD = '127.0.0.1:6701';

/** A parent on a lock-step edge: sends to it settle one at a time, oldest first, on ackOne(). */
class LockStepTransport extends FakeTransport {
  readonly #queue: Array<() => void> = [];
  lockStep: string | null = null;
  override async send(to: Address | string, packet: Packet, options?: { urgent?: boolean }) {
    await super.send(to, packet, options);
    if (to === this.lockStep) await new Promise<void>((resolve) => this.#queue.push(resolve));
  }
  ackOne(): void {
    this.#queue.shift()?.();
  }
}

/** A peer (fast profile: half the peer timeout is 1,187.5 ms) under P1, with CHILD below it. */
async function underLockStepParent() {
  const clock = new ManualClock();
  const transport = new LockStepTransport(SELF);
  const peer = new Peer({ transport, root: ROOT, clock, timings: 'fast' });
  await placeUnder(peer, transport, ROOT, P1);
  transport.deliver({ kind: 'join', source: addr(CHILD) });
  await settle();
  const failures: string[] = [];
  peer.on('reunion-failure', ({ reason }) => failures.push(`${reason}@${clock.now()}`));
  transport.lockStep = P1;
  // 40 hellos from the subtree arrive at once (relayed again after a heal, say): they queue.
  for (let i = 0; i < 40; i++)
    transport.deliver({
      kind: 'reunion-hello',
      source: addr(CHILD),
      path: [addr(`10.0.0.${i + 1}:7000`), addr(CHILD)],
    });
  await settle();
  return { clock, transport, peer, failures };
}

it('does not leave a parent that keeps acknowledging, only slower than a burst arrives', async () => {
  const { clock, transport, peer, failures } = await underLockStepParent();
  // The parent acknowledges one frame every 40 ms: the last relayed hello waits 1.6 s in the
  // queue, longer than half the peer timeout, but the parent never stalls.
  for (let t = 0; t < 1_600; t += 40) {
    clock.advance(40);
    transport.ackOne();
    await settle();
    if (peer.status().helloOutstanding)
      transport.deliver({ kind: 'reunion-hello-back', source: addr(P1), path: [addr(SELF)] });
    await settle();
  }
  expect(failures).toEqual([]);
  expect(peer.reunion).toBe('attached');
  await peer.close();
});

it('leaves that parent half the peer timeout after it stops acknowledging', async () => {
  const { clock, transport, peer, failures } = await underLockStepParent();
  for (let t = 0; t < 400; t += 40) {
    clock.advance(40);
    transport.ackOne();
    await settle();
  }
  // The last acknowledgement came at 400 ms; then the parent stops (SIGSTOP).
  clock.advance(1_187);
  await settle();
  expect(failures).toEqual([]);
  clock.advance(1);
  await settle();
  expect(failures).toEqual(['parent-unreachable@1587.5']);
  await peer.close();
});
