import { describe, expect, it } from 'vitest';
import { AckReader } from '../src/ack-reader.js';
import { FramingMemory } from '../src/framing-memory.js';
import { StreamError, StreamNode, silentLogger, systemClock } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { RemoteCache } from '../src/remote-address.js';
import { SendQueue } from '../src/send-queue.js';

describe('AckReader', () => {
  it('counts ACKs whatever the read boundaries', () => {
    const bytes = Buffer.from('ACK'.repeat(5));
    for (let split = 0; split <= bytes.length; split++) {
      const reader = new AckReader();
      const first = reader.push(bytes.subarray(0, split));
      expect(first).toBe(Math.floor(split / 3));
      expect(reader.partial).toBe(split % 3 !== 0);
      expect(first + reader.push(bytes.subarray(split))).toBe(5);
      expect(reader.partial).toBe(false);
    }
    const reader = new AckReader();
    expect([...'ACKACK'].map((letter) => reader.push(Buffer.from(letter)))).toEqual([
      0, 0, 1, 0, 0, 1,
    ]);
  });

  it('refuses any other byte, wherever it is', () => {
    for (const bad of ['N', 'AK', 'ACKA\n', 'ACKX', 'ack']) {
      const reader = new AckReader();
      expect(reader.push(Buffer.from(bad))).toBe(-1);
    }
    const reader = new AckReader();
    expect(reader.push(Buffer.from('ACKAX'))).toBe(-1);
    expect(reader.badOffset).toBe(4);
  });

  it('reads only the bytes of this read from a reused buffer', () => {
    // The rest of the buffer still holds an earlier, longer read.
    const buffer = Buffer.from('ACKACKXYZ');
    const reader = new AckReader();
    expect(reader.push(buffer, 4)).toBe(1);
    expect(reader.partial).toBe(true);
    buffer.write('CK', 0, 'latin1');
    expect(reader.push(buffer, 2)).toBe(1);
  });
});

describe('FramingMemory', () => {
  it('remembers the last framing per key, dropping the least recently heard from', () => {
    const memory = new FramingMemory(2);
    memory.remember('a', 'text');
    memory.remember('b', 'binary');
    memory.remember('a', 'binary'); // a is now the most recent
    memory.remember('c', 'text');
    expect(memory.get('a')).toBe('binary');
    expect(memory.get('b')).toBeUndefined();
    expect(memory.get('c')).toBe('text');
    expect(memory.size).toBe(2);
  });
});

describe('SendQueue', () => {
  const frameOf = (i: number): Uint8Array => Uint8Array.of(i & 0xff, i >> 8);
  const numberOf = (frame: Uint8Array | undefined): number =>
    frame === undefined ? -1 : (frame[0] as number) + 256 * (frame[1] as number);

  it('keeps order, settlements and times across growth and wrap-around', () => {
    const queue = new SendQueue(true);
    const settled: number[] = [];
    const settlementOf = (i: number) => () => settled.push(i);
    for (let i = 0; i < 5000; i++) {
      queue.push(frameOf(i), settlementOf(i), i * 2);
      if (i % 3 === 0) {
        expect(queue.headSentAt).toBe(2 * numberOf(queue.headFrame));
        (queue.shift() as () => void)();
      }
    }
    expect(numberOf(queue.headFrame)).toBe(settled.length);
    for (const settlement of queue.drain()) (settlement as () => void)();
    expect(settled).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(queue.length).toBe(0);
    expect(queue.headFrame).toBeUndefined();
  });

  it('moves a send to another queue with its settlement and a new time', () => {
    const waiting = new SendQueue();
    const inFlight = new SendQueue(true);
    const settled: string[] = [];
    waiting.push(frameOf(1), () => settled.push('one'));
    waiting.push(frameOf(2), () => settled.push('two'));
    expect(numberOf(waiting.moveHeadTo(inFlight, 17))).toBe(1);
    expect([waiting.length, inFlight.length, inFlight.headSentAt]).toEqual([1, 1, 17]);
    (inFlight.shift() as () => void)();
    expect(settled).toEqual(['one']);
    expect(numberOf(waiting.headFrame)).toBe(2);
  });

  it('keeps no times unless timed', () => {
    const queue = new SendQueue();
    queue.push(frameOf(1), undefined, 5);
    expect([queue.length, queue.headSentAt]).toEqual([1, 0]);
  });

  it('is reusable after a burst has emptied it', () => {
    const queue = new SendQueue(true);
    for (let i = 0; i < 1000; i++) queue.push(frameOf(i), undefined);
    for (let i = 0; i < 1000; i++) {
      expect(numberOf(queue.headFrame)).toBe(i);
      queue.shift();
    }
    expect(queue.headFrame).toBeUndefined();
    queue.push(frameOf(7), undefined, 3);
    queue.push(frameOf(8), undefined);
    expect([queue.length, queue.headSentAt]).toEqual([2, 3]);
    expect(queue.drain()).toEqual([undefined, undefined]);
    queue.push(frameOf(9), undefined);
    expect(numberOf(queue.headFrame)).toBe(9);
  });
});

describe('RemoteCache', () => {
  it('normalises strings and Addresses to one key', () => {
    const cache = new RemoteCache(2);
    expect(cache.resolve('127.000.000.001:05353').key).toBe('127.0.0.1:5353');
    expect(cache.resolve({ host: '127.0.0.1', port: 5353 }).key).toBe('127.0.0.1:5353');
    expect(cache.resolve('localhost:5353').address).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(() => cache.resolve('127.0.0.1:65536')).toThrow(/invalid address/);
  });
});

describe('options', () => {
  it('fills in the defaults', () => {
    expect(resolveOptions({ listen: '127.0.0.1:0' })).toEqual({
      listen: { host: '127.0.0.1', port: 0 },
      defaultFraming: 'binary',
      window: 1,
      maxQueue: 16_384,
      maxQueueBytes: 8 * 1024 * 1024,
      ackTimeout: 10_000,
      connectTimeout: 5_000,
      maxBodySize: 65_536,
      maxConnections: 1024,
      maxConnectionsPerIp: 64,
      exemptLoopback: true,
      frameTimeout: 10_000,
      idleTimeout: 60_000,
      logger: silentLogger,
      clock: systemClock,
    });
  });

  it.each([
    [{ listen: 'nowhere' }, /listen/],
    [{ listen: '127.0.0.1:70000' }, /listen/],
    [{ listen: { host: 'example.com', port: 1 } }, /listen/],
    [{ listen: '127.0.0.1:0', window: 0 }, /window/],
    [{ listen: '127.0.0.1:0', window: 1.5 }, /window/],
    [{ listen: '127.0.0.1:0', maxQueue: -1 }, /maxQueue/],
    [{ listen: '127.0.0.1:0', ackTimeout: 0 }, /ackTimeout/],
    [{ listen: '127.0.0.1:0', idleTimeout: -1 }, /idleTimeout/],
    [{ listen: '127.0.0.1:0', frameTimeout: 2 ** 31 }, /frameTimeout/],
    [{ listen: '127.0.0.1:0', defaultFraming: 'json' }, /defaultFraming/],
    [{ listen: '127.0.0.1:0', logger: console.log }, /logger/],
  ])('refuses %j with ERR_STREAM_INVALID_ARGUMENT', async (options, message) => {
    const error = await StreamNode.listen(options as never).catch((e) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect(error.code).toBe('ERR_STREAM_INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });
});
