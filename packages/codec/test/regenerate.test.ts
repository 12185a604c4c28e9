import { describe, expect, it } from 'vitest';
import { type Address, encode, normaliseAddress, type Packet } from '../src/index.js';
import { type GoldenVector, loadVectors, toHex } from './vectors.js';

const golden = [
  ...loadVectors<GoldenVector>('binary.json'),
  ...loadVectors<GoldenVector>('text.json'),
];

/** A fixed-width 20-character entry (`127.000.000.00105353`) read from a vector's body text. */
const entryAt = (body: string, at: number): Address =>
  normaliseAddress({ host: body.slice(at, at + 15), port: Number(body.slice(at + 15, at + 20)) });

/** `REQ ids=1 window=32` → `{ ids: 1, window: 32 }`. */
const capabilitiesOf = (body: string): Record<string, number> =>
  Object.fromEntries(
    body
      .slice(4)
      .split(' ')
      .map((token) => [token.split('=')[0], Number(token.split('=')[1])]),
  );

const pathOf = (body: string): Address[] =>
  Array.from({ length: Number(body.slice(3, 5)) }, (_, i) => entryAt(body, 5 + i * 20));

/**
 * The packet a vector describes, built from its documented fields only (type, source, body
 * text) – never from its bytes – so that encoding it checks the codec against the stored hex.
 */
function packetOf(vector: GoldenVector): Packet {
  const source = normaliseAddress({ host: vector.sourceIp, port: vector.sourcePort });
  const { body } = vector;
  switch (vector.type) {
    case 1:
      return body === 'RESACK'
        ? { kind: 'register-response', source }
        : { kind: 'register-request', source, address: entryAt(body, 3) };
    case 2:
      return body === 'REQ'
        ? { kind: 'advertise-request', source }
        : { kind: 'advertise-response', source, parent: entryAt(body, 3) };
    case 3:
      return { kind: 'join', source };
    case 4:
      return { kind: 'message', source, text: body };
    case 5:
      return body.startsWith('REQ')
        ? { kind: 'reunion-hello', source, path: pathOf(body) }
        : { kind: 'reunion-hello-back', source, path: pathOf(body) };
    case 7:
      return {
        kind: body.startsWith('REQ') ? 'capabilities-offer' : 'capabilities-answer',
        source,
        capabilities: capabilitiesOf(body),
      };
    case 8:
      return {
        kind: 'identified-message',
        source,
        author: body[0] === 'O' ? 'origin' : 'gateway',
        start: body[1] === 'S',
        origin: entryAt(body, 2),
        epoch: Number(body.slice(22, 35)),
        seq: Number(body.slice(35, 47)),
        text: body.slice(47),
      };
    case 9:
      return {
        kind: 'digest',
        source,
        fresh: body[0] === 'F',
        entries: Array.from({ length: Number(body.slice(1, 5)) }, (_, i) => ({
          origin: entryAt(body, 5 + i * 45),
          epoch: Number(body.slice(25 + i * 45, 38 + i * 45)),
          hwm: Number(body.slice(38 + i * 45, 50 + i * 45)),
        })),
      };
    default:
      throw new Error(`vector ${vector.name} has unknown type ${vector.type}`);
  }
}

describe('golden vectors regenerated from their fields', () => {
  it('covers every packet kind in both framings', () => {
    for (const framing of ['binary', 'text'] as const) {
      const kinds = new Set(
        golden.filter((v) => v.framing === framing).map((v) => packetOf(v).kind),
      );
      expect([...kinds].sort()).toEqual([
        'advertise-request',
        'advertise-response',
        'capabilities-answer',
        'capabilities-offer',
        'digest',
        'identified-message',
        'join',
        'message',
        'register-request',
        'register-response',
        'reunion-hello',
        'reunion-hello-back',
      ]);
    }
  });

  for (const vector of golden) {
    it(`${vector.framing} ${vector.name}: our encoder writes the stored bytes exactly`, () => {
      expect(vector.version).toBe(1);
      const frame = encode(packetOf(vector), vector.framing);
      expect(toHex(frame)).toBe(vector.hex);
      const header = vector.framing === 'binary' ? 20 : 28;
      expect(frame.length - header).toBe(vector.length);
    });
  }
});
