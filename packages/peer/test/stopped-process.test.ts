import { describe, expect, it } from 'vitest';
import { type Clock, ManualClock, Peer, type TimerHandle } from '../src/index.js';
import { addr, FakeTransport, placeUnder, settle } from './fake-transport.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const P1 = '127.0.0.1:6601';
const timings = { helloInterval: 4_000, peerTimeout: 38_000 };
/** How long a parent keeps a child it hears nothing from: the peer timeout and a hello interval. */
const PATIENCE = timings.peerTimeout + timings.helloInterval;

/**
 * The clock of a process that can be stopped (SIGSTOP, a suspended machine): time goes on while it
 * is stopped, and its timers that fell due meanwhile fire late, in order, once it resumes.
 */
class StoppableClock implements Clock {
  readonly #time: ManualClock;
  readonly #late: Array<() => void> = [];
  #stopped = false;

  constructor(time: ManualClock) {
    this.#time = time;
  }

  now(): number {
    return this.#time.now();
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.#time.setTimeout(() => {
      if (this.#stopped) this.#late.push(callback);
      else callback();
    }, ms);
  }

  clearTimeout(handle: TimerHandle): void {
    this.#time.clearTimeout(handle);
  }

  stop(): void {
    this.#stopped = true;
  }

  resume(): void {
    this.#stopped = false;
    for (const callback of this.#late.splice(0)) callback();
  }
}

/** A peer under `parent`, its first hello answered, then stopped for `ms` with none outstanding. */
async function stoppedFor(parent: string, ms: number) {
  const time = new ManualClock();
  const clock = new StoppableClock(time);
  const transport = new FakeTransport(SELF);
  const peer = new Peer({ transport, root: ROOT, clock, timings });
  await placeUnder(peer, transport, ROOT, parent);
  expect(transport.take('join', parent)).toHaveLength(1);
  expect(transport.take('reunion-hello', parent)).toHaveLength(1);
  transport.deliver({ kind: 'reunion-hello-back', source: addr(parent), path: [addr(SELF)] });
  await settle();
  expect(peer.status().helloOutstanding).toBe(false);
  transport.sent.length = 0;
  clock.stop();
  time.advance(ms);
  clock.resume();
  await settle();
  return { transport, peer };
}

describe('a peer whose process was stopped with no hello outstanding', () => {
  it('fails over at once when it was stopped longer than its parent keeps a silent child', async () => {
    // The parent has dropped it (SilentChildren) and drops its hellos: waiting a peer timeout for
    // an answer would leave it deaf to Messages all that time.
    const { transport, peer } = await stoppedFor(P1, PATIENCE + timings.helloInterval);
    expect(peer.reunion).toBe('failure');
    expect(transport.take('reunion-hello', P1)).toEqual([]);
    expect(transport.take('advertise-request', ROOT)).toHaveLength(1);
  });

  it('says hello to its parent when stopped for less: the parent still has it', async () => {
    const { transport, peer } = await stoppedFor(P1, PATIENCE - timings.helloInterval);
    expect(peer.reunion).toBe('attached');
    expect(transport.take('reunion-hello', P1)).toHaveLength(1);
  });

  it('says hello to the root, its parent, however long it was stopped: the root re-attaches it by its hello', async () => {
    const { transport, peer } = await stoppedFor(ROOT, 2 * PATIENCE);
    expect(peer.reunion).toBe('attached');
    expect(transport.take('reunion-hello', ROOT)).toHaveLength(1);
  });
});
