import type { Address, Packet } from '@p2p/codec';
import { describe, expect, it } from 'vitest';
import { ManualClock, Peer, type TransportProbeResult } from '../../src/index.js';
import { CACHE_ENTRY_OVERHEAD } from '../../src/lossless/lossless-options.js';
import { addr, FakeTransport, placeUnder, settle } from '../fake-transport.js';
import { queueHolding } from './lossless-harness.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const PARENT = '127.0.0.1:6601';

/** A fake transport that probes: records each offer and answers as `outcome` says. */
class ProbingTransport extends FakeTransport {
  readonly offers: Array<{ to: string; offer: Packet }> = [];
  readonly windows: Array<[string, number | undefined]> = [];
  /** What was sent, in order: probes as 'probe', then the kinds sent on usual connections. */
  readonly order: string[] = [];

  constructor(readonly outcome: () => TransportProbeResult) {
    super(SELF);
  }

  async probe(to: Address | string, offer: Packet): Promise<TransportProbeResult> {
    this.offers.push({ to: String(to), offer });
    this.order.push('probe');
    return this.outcome();
  }

  setWindow(remote: Address | string, window: number | undefined): void {
    this.windows.push([String(remote), window]);
  }

  override send(...args: Parameters<FakeTransport['send']>): Promise<void> {
    const what = args[1];
    this.order.push('kind' in what ? what.kind : 'frame');
    return super.send(...args);
  }
}

async function attached(outcome: () => TransportProbeResult) {
  const transport = new ProbingTransport(outcome);
  const peer = new Peer({ transport, root: ROOT, clock: new ManualClock(), timings: 'fast' });
  await placeUnder(peer, transport, ROOT, PARENT);
  await settle();
  return { transport, peer };
}

describe('attaching with the lossless extension (10.1.2)', () => {
  it('probes the parent before the Join, then sends its fresh Digest after it, and raises the window', async () => {
    const { transport, peer } = await attached(() => ({
      outcome: 'answered',
      packet: {
        kind: 'capabilities-answer',
        source: addr(PARENT),
        capabilities: { ids: 1, window: 8 },
      },
    }));
    expect(transport.offers).toEqual([
      {
        to: PARENT,
        offer: {
          kind: 'capabilities-offer',
          source: addr(SELF),
          capabilities: { ids: 1, window: 128 },
        },
      },
    ]);
    const afterPlacement = transport.order.slice(transport.order.indexOf('probe'));
    expect(afterPlacement.slice(0, 3)).toEqual(['probe', 'join', 'digest']);
    const [digest] = transport.take('digest', PARENT);
    expect(digest?.packet).toMatchObject({ kind: 'digest', fresh: true });
    expect(transport.windows.at(-1)).toEqual([PARENT, 8]);
    expect(peer.losslessStats?.losslessEdges).toEqual([PARENT]);
  });

  it('a parent that closes the probe (a node from before the extension): Join all the same, version 1, no reunion failure', async () => {
    const refused = Object.assign(new Error('closed'), { code: 'ERR_CLOSED' });
    const { transport, peer } = await attached(() => ({ outcome: 'refused', error: refused }));
    expect(transport.take('join', PARENT)).toHaveLength(1);
    expect(transport.take('digest')).toEqual([]);
    expect(peer.losslessStats?.losslessEdges).toEqual([]);
    expect(peer.reunion).toBe('attached');
    await peer.broadcast('plain to an old parent');
    expect(transport.take('message', PARENT)).toHaveLength(1);
    expect(transport.take('identified-message')).toEqual([]);
  });

  it('a probe unanswered in the ACK timeout: the parent is unreachable, no Join (as a Join unanswered)', async () => {
    const timedOut = Object.assign(new Error('no ACK'), { code: 'ERR_STREAM_ACK_TIMEOUT' });
    const { transport, peer } = await attached(() => ({ outcome: 'refused', error: timedOut }));
    expect(transport.take('join')).toEqual([]);
    expect(peer.reunion).toBe('failure');
    expect(transport.take('advertise-request', ROOT).length).toBeGreaterThan(0);
  });

  it('the root unanswered: Join all the same, the edge still negotiated, probed again once a hello is answered', async () => {
    const timedOut = Object.assign(new Error('no ACK'), { code: 'ERR_STREAM_ACK_TIMEOUT' });
    const answers: TransportProbeResult[] = [
      { outcome: 'refused', error: timedOut },
      {
        outcome: 'answered',
        packet: {
          kind: 'capabilities-answer',
          source: addr(ROOT),
          capabilities: { ids: 1, window: 8 },
        },
      },
    ];
    const transport = new ProbingTransport(() => answers.shift() as TransportProbeResult);
    const peer = new Peer({ transport, root: ROOT, clock: new ManualClock(), timings: 'fast' });
    await placeUnder(peer, transport, ROOT, ROOT);
    await settle();
    expect(transport.take('join', ROOT)).toHaveLength(1);
    expect(peer.reunion).toBe('attached');
    expect(peer.losslessStats?.losslessEdges).toEqual([]);
    await peer.broadcast('held for the root'); // neither plain nor identified yet
    expect(transport.take('message', ROOT)).toEqual([]);
    expect(transport.take('identified-message', ROOT)).toEqual([]);
    transport.deliver({ kind: 'reunion-hello-back', source: addr(ROOT), path: [addr(SELF)] });
    await settle();
    expect(transport.offers).toHaveLength(2);
    expect(transport.take('digest', ROOT)).toHaveLength(1);
    expect(peer.losslessStats?.losslessEdges).toEqual([ROOT]);
    expect(transport.take('message', ROOT)).toEqual([]); // the exchange brings it, not a replay
    await peer.close();
  });

  it('with the extension off, no probe and no offer', async () => {
    const transport = new ProbingTransport(() => ({ outcome: 'acknowledged' }));
    const peer = new Peer({
      transport,
      root: ROOT,
      clock: new ManualClock(),
      timings: 'fast',
      lossless: false,
    });
    await placeUnder(peer, transport, ROOT, PARENT);
    expect(transport.offers).toEqual([]);
    expect(transport.take('join', PARENT)).toHaveLength(1);
  });
});

describe('the version-1 replay after a probe that found no extension', () => {
  it('sends what waited for the parent in its order, equal texts included', async () => {
    let answer: ((result: TransportProbeResult) => void) | undefined;
    class SlowProbe extends FakeTransport {
      constructor() {
        super(SELF);
      }
      probe(_to: Address | string, _offer: Packet): Promise<TransportProbeResult> {
        return new Promise((resolve) => {
          answer = resolve;
        });
      }
      setWindow(): void {}
    }
    const transport = new SlowProbe();
    const peer = new Peer({ transport, root: ROOT, clock: new ManualClock(), timings: 'fast' });
    await placeUnder(peer, transport, ROOT, PARENT);
    await settle();
    for (const text of ['a', 'b', 'a']) void peer.broadcast(text);
    await settle();
    const before = transport.floods.length;
    answer?.({ outcome: 'acknowledged' }); // a reference parent: version 1
    await settle();
    const replayed = transport.floods
      .slice(before)
      .filter((flood) => flood.targets.includes(PARENT))
      .flatMap((flood) => flood.targets.filter((to) => to === PARENT).map(() => flood.frame));
    const texts = replayed.map(
      (frame) => (frame as unknown as { packet: { text: string } }).packet.text,
    );
    expect(texts).toEqual(['a', 'b', 'a']);
    await peer.close();
  });
});

describe('broadcasting beyond what may be held for a parent edge being negotiated (10.1.4)', () => {
  it('reports the parent as failed, as a full send queue would, once the hold is full', async () => {
    class LimitedQueue extends FakeTransport {
      // Room for two held: the rest is kept for the cache's entries (1,024 by default) and the
      // exchange's other packets, queued with the hold when it is emptied.
      readonly queueLimits = ((limits) => ({
        maxQueue: limits.messages,
        maxQueueBytes: limits.bytes,
      }))(queueHolding(2, 1_024));
      constructor() {
        super(SELF);
      }
      probe(): Promise<TransportProbeResult> {
        return new Promise(() => {}); // the probe is out for the whole test: the edge negotiated
      }
      setWindow(): void {}
    }
    const transport = new LimitedQueue();
    const peer = new Peer({ transport, root: ROOT, clock: new ManualClock(), timings: 'fast' });
    await placeUnder(peer, transport, ROOT, PARENT);
    await settle();
    const results = [];
    for (const text of ['held 1', 'held 2', 'refused']) results.push(await peer.broadcast(text));
    expect(results.map((result) => result.failed)).toEqual([[], [], [PARENT]]);
    expect(peer.counters.sendFailures).toBe(1);
    await peer.close();
  });
});

describe('a parent that answers hellos but never a probe (10.1.2 item 6)', () => {
  /** A peer placed under the root, whose every probe times out; `helloAnswered` runs one cycle. */
  async function underRootNeverProbed() {
    const timedOut = Object.assign(new Error('no ACK'), { code: 'ERR_STREAM_ACK_TIMEOUT' });
    const transport = new ProbingTransport(() => ({ outcome: 'refused', error: timedOut }));
    const clock = new ManualClock();
    const peer = new Peer({ transport, root: ROOT, clock, timings: 'fast' });
    await placeUnder(peer, transport, ROOT, ROOT);
    await settle();
    const helloAnswered = async () => {
      transport.deliver({ kind: 'reunion-hello-back', source: addr(ROOT), path: [addr(SELF)] });
      await settle();
      clock.advance(250); // the next hello
      await settle();
    };
    return { transport, peer, helloAnswered };
  }

  it('settles the edge on version 1 after three probes unanswered, and sends what waited as plain Messages', async () => {
    const { transport, peer, helloAnswered } = await underRootNeverProbed();
    await peer.broadcast('waited for the root');
    for (let hello = 0; hello < 5; hello++) await helloAnswered();
    expect(transport.offers).toHaveLength(3); // the first probe and two more, then no more
    expect(transport.take('message', ROOT).map((sent) => sent.packet)).toEqual([
      { kind: 'message', source: addr(SELF), text: 'waited for the root' },
    ]);
    await peer.broadcast('after');
    expect(transport.take('message', ROOT)).toHaveLength(1); // plain from now on
    expect(transport.take('identified-message')).toEqual([]);
    await peer.close();
  });

  it('negotiates the settled edge again, three probes afresh, once the connection to the root fails', async () => {
    const { transport, peer, helloAnswered } = await underRootNeverProbed();
    for (let hello = 0; hello < 5; hello++) await helloAnswered();
    expect(transport.offers).toHaveLength(3); // settled on version 1
    transport.take('message', ROOT);
    transport.fail(ROOT); // the root restarts, say
    await settle();
    await peer.broadcast('while the root is away');
    expect(transport.take('message', ROOT)).toEqual([]); // held for the new negotiation
    for (let hello = 0; hello < 5; hello++) await helloAnswered();
    expect(transport.offers).toHaveLength(6); // three more, then version 1 again
    expect(transport.take('message', ROOT).map((sent) => sent.packet)).toEqual([
      { kind: 'message', source: addr(SELF), text: 'while the root is away' },
    ]);
    await peer.close();
  });
});

describe('the cache of a peer on a lossless edge (10.1.4)', () => {
  it('counts a received Identified Message by its text in UTF-8 bytes, as from its frame', async () => {
    const { transport, peer } = await attached(() => ({
      outcome: 'answered',
      packet: { kind: 'capabilities-answer', source: addr(PARENT), capabilities: { ids: 1 } },
    }));
    transport.deliver({ kind: 'digest', source: addr(PARENT), fresh: false, entries: [] });
    const text = 'grüße, 世界 ✓';
    const received: string[] = [];
    peer.on('message', (message) => received.push(message.text));
    transport.deliver({
      kind: 'identified-message',
      source: addr(PARENT),
      author: 'origin',
      start: true,
      origin: addr('127.0.0.1:6000'),
      epoch: 1_700_000_000_000,
      seq: 1,
      text,
    });
    expect(received).toEqual([text]);
    // Each entry is its text's UTF-8 bytes plus the per-entry overhead.
    expect(peer.losslessStats?.cachedBytes).toBe(
      Buffer.byteLength(text, 'utf8') + CACHE_ENTRY_OVERHEAD,
    );
  });
});
