import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  decode,
  encode,
  FrameDecoder,
  type Framing,
  type Packet,
} from '../src/index.js';

const address = fc.record({
  host: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')),
  port: fc.nat(65535),
});
const path = fc.array(address, { minLength: 1, maxLength: 99 });
// Well-formed Unicode only: a lone surrogate has no UTF-8 form and cannot round-trip.
const text = fc.string({ unit: 'grapheme', maxLength: 200 });

const epoch = fc.integer({ min: 0, max: 9_999_999_999_999 });
const identified = fc.record({
  kind: fc.constant('identified-message' as const),
  source: address,
  author: fc.constantFrom('origin' as const, 'gateway' as const),
  start: fc.boolean(),
  origin: address,
  epoch,
  seq: fc.integer({ min: 1, max: 999_999_999_999 }),
  text,
});
// Only the names the codec knows survive decoding (unknown ones are skipped).
const capabilities = fc
  .record(
    {
      ids: fc.integer({ min: 0, max: 999_999_999 }),
      window: fc.integer({ min: 0, max: 999_999_999 }),
    },
    { requiredKeys: [] },
  )
  .filter((c) => Object.keys(c).length > 0);
const extension: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('capabilities-offer' as const, 'capabilities-answer' as const),
    source: address,
    capabilities,
  }),
  identified,
  fc.record({
    kind: fc.constant('digest' as const),
    source: address,
    fresh: fc.boolean(),
    entries: fc.array(
      fc.record({ origin: address, epoch, hwm: fc.integer({ min: 0, max: 999_999_999_999 }) }),
      { maxLength: 40 },
    ),
  }),
);
const packet: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({ kind: fc.constant('register-request' as const), source: address, address }),
  fc.record({ kind: fc.constant('register-response' as const), source: address }),
  fc.record({ kind: fc.constant('advertise-request' as const), source: address }),
  fc.record({ kind: fc.constant('advertise-response' as const), source: address, parent: address }),
  fc.record({ kind: fc.constant('join' as const), source: address }),
  fc.record({ kind: fc.constant('leave' as const), source: address }),
  fc.record({ kind: fc.constant('message' as const), source: address, text }),
  fc.record({ kind: fc.constant('reunion-hello' as const), source: address, path }),
  fc.record({ kind: fc.constant('reunion-hello-back' as const), source: address, path }),
  extension,
);
const framing = fc.constantFrom<Framing>('binary', 'text');

describe('properties', () => {
  it('every valid packet round-trips in both framings', () => {
    fc.assert(
      fc.property(packet, framing, (p, f) => {
        expect(decode(encode(p, f))).toEqual({ packet: p, framing: f });
      }),
    );
  });

  it('any chunking of many concatenated frames yields the same packets in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(packet, framing), { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (items, cuts) => {
          const bytes = Buffer.concat(items.map(([p, f]) => encode(p, f)));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const decoder = new FrameDecoder({ maxBodySize: 1 << 20 });
          const out = [];
          let from = 0;
          for (const point of [...points, bytes.length]) {
            out.push(...decoder.push(bytes.subarray(from, point)));
            from = point;
          }
          decoder.end();
          expect(out.map(({ packet, framing }) => ({ packet, framing }))).toEqual(
            items.map(([p, f]) => ({ packet: p, framing: f })),
          );
        },
      ),
    );
  });

  it('random bytes give a packet or a CodecError, nothing else', () => {
    const frameLike = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      // Start like a real header so the body checks are reached too.
      fc.tuple(packet, framing, fc.nat(), fc.nat(255)).map(([p, f, at, byte]) => {
        const bytes = encode(p, f);
        bytes[at % bytes.length] = byte;
        return bytes;
      }),
    );
    fc.assert(
      fc.property(frameLike, (bytes) => {
        try {
          decode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
        const decoder = new FrameDecoder();
        try {
          decoder.push(bytes);
          decoder.end();
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
