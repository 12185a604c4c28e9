import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { EdgeModes } from '../../src/lossless/edge-modes.js';

const PEER_TIMEOUT = 2_000;
const CHILD = '127.0.0.1:7001';
const PARENT = '127.0.0.1:7000';

function modes(maxOffers?: number) {
  const clock = new ManualClock();
  const subject = new EdgeModes({ clock, window: 32, offerLifetime: PEER_TIMEOUT, maxOffers });
  return { clock, subject };
}

describe('EdgeModes at the parent', () => {
  it('negotiates the edge of a child that offered then joined; its Digest makes it lossless, with the smaller window', () => {
    const { subject } = modes();
    expect(subject.offered(CHILD, 8)).toBe('remembered');
    expect(subject.mode(CHILD)).toBe('v1');
    expect(subject.childJoined(CHILD)).toBe('negotiating');
    expect(subject.window(CHILD)).toBeUndefined();
    subject.set(CHILD, 'child', 'lossless'); // its Digest came: the offered window holds
    expect(subject.window(CHILD)).toBe(8);
    expect(subject.role(CHILD)).toBe('child');
  });

  it('keeps a child that joined without an offer at version 1, also over an edge that was lossless', () => {
    const { subject, clock } = modes();
    expect(subject.childJoined(CHILD)).toBe('v1');
    subject.offered(CHILD, 64);
    expect(subject.childJoined(CHILD)).toBe('negotiating');
    subject.set(CHILD, 'child', 'lossless');
    expect(subject.window(CHILD)).toBe(32);
    clock.advance(PEER_TIMEOUT);
    subject.forget(CHILD); // it left (unreachable, Leave, silent)…
    expect(subject.childJoined(CHILD)).toBe('v1'); // …and came back without the extension
    expect(subject.window(CHILD)).toBeUndefined();
  });

  it('keeps a lossless child lossless when it joins again after its offer expired (root away)', () => {
    const { subject, clock } = modes();
    subject.offered(CHILD, 16);
    subject.childJoined(CHILD);
    subject.set(CHILD, 'child', 'lossless');
    clock.advance(3 * PEER_TIMEOUT);
    expect(subject.childJoined(CHILD)).toBe('lossless');
    expect(subject.window(CHILD)).toBe(16);
  });

  it('never hands the transport a window out of range, whatever the other side offered', () => {
    const { subject } = modes();
    subject.offered(CHILD, 0);
    subject.childJoined(CHILD);
    subject.set(CHILD, 'child', 'lossless');
    expect(subject.window(CHILD)).toBe(1);
    subject.offered(PARENT, 999_999_999);
    subject.set(PARENT, 'parent', 'lossless', 999_999_999);
    expect(subject.window(PARENT)).toBe(32);
  });

  it('negotiates the edge of a current child that offers (a renegotiation), and keeps a lossless one', () => {
    const { subject } = modes();
    subject.childJoined(CHILD);
    expect(subject.offered(CHILD, 16)).toBe('negotiating');
    expect(subject.mode(CHILD)).toBe('negotiating');
    subject.set(CHILD, 'child', 'lossless');
    expect(subject.window(CHILD)).toBe(16);
    expect(subject.offered(CHILD, 8)).toBe('lossless');
    expect(subject.window(CHILD)).toBe(8);
  });

  it('forgets offers after one peer timeout', () => {
    const { subject, clock } = modes();
    subject.offered(CHILD, 8);
    clock.advance(PEER_TIMEOUT - 1);
    expect(subject.offers).toBe(1);
    clock.advance(1);
    expect(subject.offers).toBe(0);
    expect(subject.childJoined(CHILD)).toBe('v1');
  });

  it('remembers at most maxOffers, the oldest forgotten first', () => {
    const { subject } = modes(2);
    subject.offered('127.0.0.1:1', 8);
    subject.offered('127.0.0.1:2', 8);
    subject.offered('127.0.0.1:1', 8); // offered again: now the newest
    subject.offered('127.0.0.1:3', 8);
    expect(subject.offers).toBe(2);
    expect(subject.childJoined('127.0.0.1:2')).toBe('v1');
    expect(subject.childJoined('127.0.0.1:1')).toBe('negotiating');
    expect(subject.childJoined('127.0.0.1:3')).toBe('negotiating');
  });

  it('bounds remembered offers at 256 by default', () => {
    const { subject } = modes();
    for (let port = 1; port <= 300; port++) subject.offered(`127.0.0.1:${port}`, 8);
    expect(subject.offers).toBe(256);
  });
});

describe('EdgeModes at the child, and forgetting', () => {
  it('follows the probe: negotiating, then lossless or version 1', () => {
    const { subject } = modes();
    subject.set(PARENT, 'parent', 'negotiating');
    expect(subject.mode(PARENT)).toBe('negotiating');
    expect(subject.window(PARENT)).toBeUndefined();
    subject.set(PARENT, 'parent', 'lossless', 100);
    expect(subject.window(PARENT)).toBe(32);
    subject.set(PARENT, 'parent', 'v1');
    expect(subject.window(PARENT)).toBeUndefined();
  });

  it('takes a neighbour it knows nothing of for version 1, and forgets an edge with its neighbour', () => {
    const { subject } = modes();
    expect(subject.mode('127.0.0.1:9')).toBe('v1');
    subject.offered(CHILD, 8);
    subject.childJoined(CHILD);
    subject.forget(CHILD);
    expect(subject.mode(CHILD)).toBe('v1');
    expect(subject.role(CHILD)).toBeUndefined();
  });
});
