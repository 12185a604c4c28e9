import { afterEach, describe, expect, it } from 'vitest';
import { PeerError } from '../../src/errors.js';
import {
  CACHE_ENTRY_OVERHEAD,
  defaultLosslessOptions,
  resolveLosslessOptions,
} from '../../src/lossless/lossless-options.js';
import { fastTimings, referenceTimings } from '../../src/timings.js';
import { identified, Net } from './lossless-harness.js';

const SELF = '127.0.0.1:5000';
const PARENT = '127.0.0.1:5001';
const CHILD = '127.0.0.1:5002';
const OLD_CHILD = '127.0.0.1:5003';
const ORIGIN = '127.0.0.1:6000';

let net: Net;
afterEach(() => net.close());

/** SELF with a lossless parent, a lossless child and a version-1 child (OLD_CHILD). */
function middle(init?: { fresh?: boolean }) {
  net = new Net();
  const node = net.add(SELF, init);
  for (const neighbour of [PARENT, CHILD, OLD_CHILD]) node.neighbours.add(neighbour);
  node.lossless.edges.set(PARENT, 'parent', 'lossless', 32);
  node.lossless.edges.set(CHILD, 'child', 'lossless', 32);
  node.lossless.edges.set(OLD_CHILD, 'child', 'v1');
  return node;
}

describe('Lossless: originating', () => {
  it('sends an Identified Message to lossless edges and the plain text to version-1 ones', () => {
    const node = middle();
    const { seq, sent } = node.lossless.originate('hello');
    expect(seq).toBe(1);
    expect(sent.map(({ to }) => to)).toEqual([PARENT, CHILD, OLD_CHILD]);
    const log = node.sentTo(net);
    expect(log.map(({ to, packet }) => [to, packet.kind])).toEqual([
      [PARENT, 'identified-message'],
      [CHILD, 'identified-message'],
      [OLD_CHILD, 'message'],
    ]);
    expect(log[0]?.packet).toMatchObject({
      author: 'origin',
      start: true,
      origin: { host: '127.0.0.1', port: 5000 },
      epoch: 1_000,
      seq: 1,
      text: 'hello',
    });
    expect(node.delivered).toEqual([]); // never to itself
  });

  it('marks a Message `C` after a recent one, `S` again after a cache age of silence', () => {
    const node = middle();
    const starts = () =>
      node.sentTo(net, PARENT).map(({ packet }) => 'start' in packet && packet.start);
    node.lossless.originate('a');
    node.lossless.originate('b');
    net.clock.advance(node.lossless.options.cacheAge + 1);
    node.lossless.originate('c');
    expect(starts()).toEqual([true, false, true]);
  });

  it('holds nothing back from a neighbour being negotiated, and sends it nothing', () => {
    const node = middle();
    node.lossless.onParentNegotiating(PARENT);
    expect(node.lossless.forwardPlan(PARENT)).toBe('hold');
    node.lossless.originate('during');
    expect(node.sentTo(net, PARENT)).toEqual([]);
  });
});

describe('Lossless: receiving Identified Messages', () => {
  it('delivers a new one with its origin and forwards it at once to every other neighbour', () => {
    const node = middle();
    expect(node.lossless.receive(identified(ORIGIN, 1), PARENT)).toBe('new');
    expect(node.delivered).toEqual([{ text: `${ORIGIN}#1`, origin: ORIGIN, from: PARENT }]);
    expect(node.sentTo(net).map(({ to, packet }) => [to, packet.kind])).toEqual([
      [CHILD, 'identified-message'],
      [OLD_CHILD, 'message'],
    ]);
  });

  it('drops and counts a duplicate: not delivered, not forwarded', () => {
    const node = middle();
    node.lossless.receive(identified(ORIGIN, 1), PARENT);
    expect(node.lossless.receive(identified(ORIGIN, 1), CHILD)).toBe('duplicate');
    expect(node.lossless.counters.duplicates).toBe(1);
    expect(node.delivered).toHaveLength(1);
    expect(node.sentTo(net)).toHaveLength(2);
  });

  it('forwards a Message that came early at once but delivers it only in order', () => {
    const node = middle();
    node.lossless.receive(identified(ORIGIN, 2), PARENT);
    expect(node.sentTo(net, CHILD)).toHaveLength(1);
    expect(node.delivered).toEqual([]);
    node.lossless.receive(identified(ORIGIN, 1), CHILD);
    expect(node.delivered.map(({ text, from }) => [text, from])).toEqual([
      [`${ORIGIN}#1`, CHILD],
      [`${ORIGIN}#2`, PARENT],
    ]);
  });

  it('drops a Message of an earlier run of its origin as stale', () => {
    const node = middle();
    node.lossless.receive(identified(ORIGIN, 1, { epoch: 2_000 }), PARENT);
    expect(node.lossless.receive(identified(ORIGIN, 2, { epoch: 1_000 }), PARENT)).toBe(
      'stale-epoch',
    );
  });

  it('never delivers its own Messages brought back by a repair', () => {
    const node = middle();
    node.lossless.originate('mine');
    expect(node.lossless.receive(identified(SELF, 1), CHILD)).toBe('duplicate');
    expect(node.lossless.receive(identified(SELF, 1, { epoch: 999 }), CHILD)).toBe('stale-epoch');
    expect(node.delivered).toEqual([]);
  });

  it('delivers a gatewayed Message with an unknown origin', () => {
    const node = middle();
    node.lossless.receive(identified(ORIGIN, 1, { author: 'gateway' }), PARENT);
    expect(node.delivered).toEqual([{ text: `${ORIGIN}#1`, origin: null, from: PARENT }]);
  });

  it('delivers a held Message the cache is about to drop, skipping the gap below it', () => {
    net = new Net();
    const node = net.add(SELF, { options: { cacheEntries: 2 } });
    node.neighbours.add(PARENT);
    node.lossless.receive(identified(ORIGIN, 3), PARENT);
    node.lossless.receive(identified('127.0.0.1:6001', 1), PARENT);
    expect(node.delivered.map(({ text }) => text)).toEqual(['127.0.0.1:6001#1']);
    node.lossless.receive(identified('127.0.0.1:6001', 2), PARENT);
    // 6001#2 pushes 6000#3 out of the cache (it holds two): waiting longer would lose it.
    expect(node.delivered.map(({ text }) => text)).toEqual([
      '127.0.0.1:6001#1',
      '127.0.0.1:6001#2',
      `${ORIGIN}#3`,
    ]);
    expect(node.lossless.counters.skipped).toBe(2);
    expect(node.lossless.usage).toEqual({
      cachedMessages: 2,
      cachedBytes: 2 * CACHE_ENTRY_OVERHEAD + 32,
      origins: 2,
    });
  });

  it('skips a gap at the gap timeout and counts it', () => {
    const node = middle();
    node.lossless.receive(identified(ORIGIN, 1), PARENT);
    node.lossless.receive(identified(ORIGIN, 4), PARENT);
    net.clock.advance(node.lossless.options.gapTimeout);
    expect(node.delivered.map(({ text }) => text)).toEqual([`${ORIGIN}#1`, `${ORIGIN}#4`]);
    expect(node.lossless.counters.skipped).toBe(2);
  });
});

describe('Lossless: plain Messages', () => {
  it('gives a plain Message from a version-1 neighbour an identifier of this node (gateway)', () => {
    const node = middle();
    node.lossless.originate('own');
    const plain = {
      kind: 'message' as const,
      source: { host: '127.0.0.1', port: 5003 },
      text: 'old',
    };
    expect(node.lossless.receive(plain, OLD_CHILD)).toBe('new');
    expect(node.delivered).toEqual([{ text: 'old', origin: null, from: OLD_CHILD }]);
    expect(node.lossless.counters.gatewayed).toBe(1);
    const toParent = node.sentTo(net, PARENT).map(({ packet }) => packet);
    expect(toParent[1]).toMatchObject({ author: 'gateway', start: false, seq: 2, text: 'old' });
    expect(node.sentTo(net, OLD_CHILD)).toHaveLength(1); // its own 'own', not 'old' back
  });

  it('makes the edge of a lossless child that sends a plain Message version 1', () => {
    const node = middle();
    const plain = {
      kind: 'message' as const,
      source: { host: '127.0.0.1', port: 5002 },
      text: 'x',
    };
    expect(node.lossless.receive(plain, CHILD)).toBe('new');
    expect(node.lossless.edges.mode(CHILD)).toBe('v1');
    expect(node.windows.get(CHILD)).toBeUndefined();
    expect(node.windows.has(CHILD)).toBe(true);
  });

  it('drops a plain Message from a lossless parent and renegotiates once', () => {
    const node = middle();
    const plain = {
      kind: 'message' as const,
      source: { host: '127.0.0.1', port: 5001 },
      text: 'x',
    };
    expect(node.lossless.receive(plain, PARENT)).toBe('plain-on-lossless-edge');
    // The next ones wait for the renegotiation's outcome (delivered only if it ends in version 1).
    expect(node.lossless.receive(plain, PARENT)).toBe('held');
    expect(node.renegotiated).toEqual([PARENT]);
    expect(node.lossless.edges.mode(PARENT)).toBe('negotiating');
    expect(node.delivered).toEqual([]);
  });
});

describe('Lossless: options', () => {
  it('derives the defaults from the timings', () => {
    expect(defaultLosslessOptions(fastTimings)).toEqual({
      window: 128,
      cacheEntries: 1_024,
      cacheBytes: 131_072,
      cacheAge: 4_750,
      maxOrigins: 512,
      gapTimeout: 2_625,
    });
    expect(defaultLosslessOptions(referenceTimings).cacheAge).toBe(76_000);
  });

  it('refuses bounds that make no sense', () => {
    expect(() => resolveLosslessOptions(fastTimings, { cacheEntries: 0 })).toThrow(PeerError);
    expect(() => resolveLosslessOptions(fastTimings, { window: 70_000 })).toThrow(/at most 65536/);
    expect(resolveLosslessOptions(fastTimings, { maxOrigins: 128 }).maxOrigins).toBe(128);
  });
});
