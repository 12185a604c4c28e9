import { describe, expect, it } from 'vitest';
import {
  decode,
  decodeFrame,
  encode,
  FrameDecoder,
  type IdentifiedMessagePacket,
  MAX_DIGEST_ENTRIES,
  type Packet,
} from '../src/index.js';
import { fromHex, type GoldenVector, loadVectors, toHex } from './vectors.js';

const source = { host: '127.0.0.1', port: 5353 };
const origin = { host: '10.0.0.7', port: 40001 };

const identified: IdentifiedMessagePacket = {
  kind: 'identified-message',
  source,
  author: 'origin',
  start: true,
  origin,
  epoch: 1_764_320_000_000,
  seq: 1,
  text: 'hi',
};

/** A frame of `type` with `body` in the binary framing, written by hand. */
function binaryFrame(type: number, body: string): Uint8Array {
  const header = Buffer.from('000100000000000000' + '7f000000000001000014e9', 'hex');
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(Buffer.byteLength(body), 4);
  return Buffer.concat([header, Buffer.from(body)]);
}

describe('Capabilities (type 7)', () => {
  it('is the example of the specification: REQ ids=1 window=32, a 39-byte binary frame', () => {
    const bytes = encode(
      { kind: 'capabilities-offer', source, capabilities: { ids: 1, window: 32 } },
      'binary',
    );
    expect(bytes.length).toBe(39);
    expect(toHex(bytes.subarray(0, 8))).toBe('0001000700000013');
    expect(Buffer.from(bytes.subarray(20)).toString('latin1')).toBe('REQ ids=1 window=32');
  });

  it('skips unknown names without failing, and keeps the known ones', () => {
    const { packet } = decode(binaryFrame(7, 'RES future=7 ids=1 window=8 zz=0'));
    expect(packet).toEqual({
      kind: 'capabilities-answer',
      source,
      capabilities: { ids: 1, window: 8 },
    });
    // Even a name that is a property of every object is only skipped.
    expect(decode(binaryFrame(7, 'REQ constructor=1')).packet).toMatchObject({
      capabilities: {},
    });
  });

  it('reads leading zeros as decimal and refuses an unknown name given twice', () => {
    expect(decode(binaryFrame(7, 'REQ window=00032')).packet).toMatchObject({
      capabilities: { window: 32 },
    });
    expect(() => decode(binaryFrame(7, 'REQ zz=1 zz=2'))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_BODY' }),
    );
  });

  it('refuses to encode what it would refuse to decode', () => {
    const bad: Record<string, number>[] = [{}, { IDS: 1 }, { ids: -1 }, { ids: 1.5 }, { ids: 1e9 }];
    for (const capabilities of bad) {
      expect(() => encode({ kind: 'capabilities-offer', source, capabilities }, 'binary')).toThrow(
        expect.objectContaining({ code: 'ERR_CODEC_INVALID_PACKET' }),
      );
    }
    const long = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [
        `n${String.fromCharCode(97 + (i % 26))}`.repeat(1 + (i >> 4)),
        1,
      ]),
    );
    expect(() =>
      encode({ kind: 'capabilities-offer', source, capabilities: long }, 'binary'),
    ).toThrow(expect.objectContaining({ code: 'ERR_CODEC_INVALID_PACKET' }));
  });
});

describe('Identified Message (type 8)', () => {
  it('is the example of the specification: 47 bytes of identifier, then the text', () => {
    const bytes = encode({ ...identified, origin: { host: '127.0.0.1', port: 40001 } }, 'text');
    expect(Buffer.from(bytes.subarray(28)).toString('latin1')).toBe(
      'OS127.000.000.00140001' + '1764320000000' + '000000000001' + 'hi',
    );
    expect(bytes.length - 28).toBe(49);
  });

  it('keeps its text lazy in a Frame, and its identifier parsed', () => {
    const frame = decodeFrame(encode({ ...identified, text: 'héllo' }, 'binary'));
    expect(frame.kind).toBe('identified-message');
    expect(frame.identity).toEqual({
      author: 'origin',
      start: true,
      origin,
      epoch: 1_764_320_000_000,
      seq: 1,
    });
    expect(frame.text).toBe('héllo');
    expect(frame.packet).toEqual({ ...identified, text: 'héllo' });
    // Other types have no identity; a plain Message keeps its own lazy text.
    const plain = decodeFrame(encode({ kind: 'message', source, text: 'x' }, 'binary'));
    expect(plain.identity).toBeUndefined();
    expect(plain.kind).toBe('message');
  });

  it('is checked for UTF-8 when the frame is read, not when its text is', () => {
    const bytes = Buffer.from(encode({ ...identified, text: 'ab' }, 'binary'));
    bytes[bytes.length - 1] = 0xff;
    expect(() => new FrameDecoder().push(bytes)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_UTF8' }),
    );
  });

  it('re-sources to another hop in either framing, the body copied byte for byte', () => {
    const frame = decodeFrame(encode(identified, 'text'));
    const hop = { host: '192.168.1.29', port: 6500 };
    for (const framing of ['binary', 'text'] as const) {
      expect(toHex(frame.withSource(hop).bytes(framing))).toBe(
        toHex(encode({ ...identified, source: hop }, framing)),
      );
    }
  });

  it('refuses to encode a sequence number of 0, an epoch of 14 digits or a bad flag', () => {
    for (const bad of [
      { seq: 0 },
      { seq: 1e12 },
      { epoch: 1e13 },
      { epoch: -1 },
      { author: 'nobody' },
      { start: 'S' },
    ]) {
      expect(() => encode({ ...identified, ...bad } as Packet, 'binary')).toThrow(
        expect.objectContaining({ code: 'ERR_CODEC_INVALID_PACKET' }),
      );
    }
  });

  it('writes the largest epoch and sequence number exactly (beyond 32 bits)', () => {
    const big = { ...identified, epoch: 9_999_999_999_999, seq: 999_999_999_999 };
    expect(decode(encode(big, 'binary')).packet).toEqual(big);
  });
});

describe('Digest (type 9)', () => {
  const entry = (i: number) => ({
    origin: { host: `10.0.${i >> 8}.${i & 255}`, port: 40_000 + i },
    epoch: 1_764_320_000_000 + i,
    hwm: i * 1_000_003,
  });

  it(`of ${MAX_DIGEST_ENTRIES} entries encodes to 63,005 body bytes and decodes`, () => {
    const digest: Packet = {
      kind: 'digest',
      source,
      fresh: false,
      entries: Array.from({ length: MAX_DIGEST_ENTRIES }, (_, i) => entry(i)),
    };
    for (const framing of ['binary', 'text'] as const) {
      const bytes = encode(digest, framing);
      expect(bytes.length - (framing === 'binary' ? 20 : 28)).toBe(63_005);
      expect(decode(bytes)).toEqual({ packet: digest, framing });
      const frame = decodeFrame(bytes);
      expect(frame.kind).toBe('digest');
      expect(toHex(frame.withSource(origin).bytes('binary'))).toBe(
        toHex(encode({ ...digest, source: origin }, 'binary')),
      );
    }
  });

  it('refuses to encode 1,401 entries or an entry with a bad field', () => {
    const cases = [
      Array.from({ length: MAX_DIGEST_ENTRIES + 1 }, (_, i) => entry(i)),
      [{ ...entry(1), hwm: -1 }],
      [{ ...entry(1), epoch: 1.5 }],
      [{ ...entry(1), origin: { host: 'x', port: 1 } }],
    ];
    for (const entries of cases) {
      expect(() => encode({ kind: 'digest', source, fresh: true, entries }, 'binary')).toThrow(
        expect.objectContaining({ code: 'ERR_CODEC_INVALID_PACKET' }),
      );
    }
  });
});

describe('the extension golden vectors', () => {
  it('has each new body in both framings', () => {
    for (const file of ['binary.json', 'text.json']) {
      const types = loadVectors<GoldenVector>(file).map((v) => v.type);
      for (const type of [7, 8, 9]) expect(types).toContain(type);
    }
  });

  it('a malformed Digest of 1,401 entries is refused on its count', () => {
    const vector = loadVectors<{ name: string; hex: string }>('invalid.json').find(
      (v) => v.name === 'bin_digest_1401_entries',
    );
    expect(() => decode(fromHex(vector?.hex ?? ''))).toThrow(/at most|1400|count/);
  });
});
