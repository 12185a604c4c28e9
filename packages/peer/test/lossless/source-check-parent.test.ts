import type { Address, Packet } from '@p2p/codec';
import { describe, expect, it } from 'vitest';
import { ManualClock, Peer, type TransportProbeResult } from '../../src/index.js';
import { addr, FakeTransport, placeUnder, settle } from '../fake-transport.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const PARENT = '127.0.0.1:6601';

/** A fake transport whose probe ends when the test says. */
class SlowProbeTransport extends FakeTransport {
  #end: ((result: TransportProbeResult) => void) | undefined;

  constructor(address = SELF) {
    super(address);
  }

  probe(_to: Address | string, _offer: Packet): Promise<TransportProbeResult> {
    return new Promise((resolve) => {
      this.#end = resolve;
    });
  }

  endProbe(result: TransportProbeResult): void {
    this.#end?.(result);
  }
}

/**
 * A peer with the check as `verifySourceIp` says (its default when undefined), listening on `self`,
 * placed under PARENT, its probe still out.
 */
async function probing(verifySourceIp: boolean | undefined, self = SELF) {
  const transport = new SlowProbeTransport(self);
  const peer = new Peer({
    transport,
    root: ROOT,
    clock: new ManualClock(),
    timings: 'fast',
    ...(verifySourceIp === undefined ? {} : { verifySourceIp }),
  });
  await placeUnder(peer, transport, ROOT, PARENT);
  await settle();
  return { transport, peer };
}

describe("with the source-IP check, a Digest in the parent's name (10.1.2 item 8)", () => {
  it('from another IP while the probe is out does not make the parent edge lossless', async () => {
    const { transport, peer } = await probing(true);
    transport.deliver(
      { kind: 'digest', source: addr(PARENT), fresh: false, entries: [] },
      { over: '127.0.0.2' },
    );
    await settle();
    expect(peer.counters.dropped['spoofed-source']).toBe(1);
    expect(transport.take('digest', PARENT)).toEqual([]);
    // The parent acknowledges the offer without an answer: a version-1 node (the reference).
    transport.endProbe({ outcome: 'acknowledged' });
    await settle();
    expect(transport.take('join', PARENT)).toHaveLength(1);
    expect(peer.losslessStats?.losslessEdges).toEqual([]);
    await peer.broadcast('plain for the parent');
    expect(transport.take('identified-message', PARENT)).toEqual([]);
    expect(transport.take('message', PARENT).map((s) => s.packet)).toMatchObject([
      { kind: 'message', text: 'plain for the parent' },
    ]);
    await peer.close();
  });

  it('from its own IP is taken, the check on or off: the answer that came ahead of the outcome', async () => {
    for (const [verifySourceIp, over] of [
      [true, undefined],
      [true, '::ffff:127.0.0.1'], // a dual-stack server's name for an IPv4 connection
      [false, undefined],
    ] as const) {
      const { transport, peer } = await probing(verifySourceIp);
      transport.deliver(
        { kind: 'digest', source: addr(PARENT), fresh: false, entries: [] },
        over === undefined ? {} : { over },
      );
      await settle();
      expect(peer.losslessStats?.losslessEdges).toEqual([PARENT]);
      expect(peer.counters.dropped['spoofed-source']).toBe(0);
      await peer.close();
    }
  });

  it('by default: checked unless the peer listens on loopback', async () => {
    for (const [self, dropped] of [
      [SELF, 0],
      ['10.0.0.5:6501', 1],
    ] as const) {
      const { transport, peer } = await probing(undefined, self);
      transport.deliver(
        { kind: 'digest', source: addr(PARENT), fresh: false, entries: [] },
        { over: '127.0.0.2' },
      );
      await settle();
      expect(peer.counters.dropped['spoofed-source']).toBe(dropped);
      await peer.close();
    }
  });

  it("from another IP in a root's name is taken: a root may send from another address of its machine", async () => {
    const transport = new SlowProbeTransport();
    const peer = new Peer({
      transport,
      root: ROOT,
      clock: new ManualClock(),
      timings: 'fast',
      verifySourceIp: true,
    });
    await placeUnder(peer, transport, ROOT, ROOT);
    await settle();
    transport.deliver(
      { kind: 'digest', source: addr(ROOT), fresh: false, entries: [] },
      { over: '127.0.0.3' },
    );
    await settle();
    expect(peer.counters.dropped['spoofed-source']).toBe(0);
    expect(peer.losslessStats?.losslessEdges).toEqual([ROOT]);
    await peer.close();
  });
});
