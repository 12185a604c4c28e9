import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  decode,
  decodeFrame,
  encode,
  FrameDecoder,
  type Framing,
  type Packet,
  PacketFrame,
} from '../src/index.js';
import { fromHex, type GoldenVector, type InvalidVector, loadVectors } from './vectors.js';

const golden = [
  ...loadVectors<GoldenVector>('binary.json'),
  ...loadVectors<GoldenVector>('text.json'),
];
const invalid = loadVectors<InvalidVector>('invalid.json');
const framings: Framing[] = ['binary', 'text'];

/** The code `read` throws with, or 'none'. */
function codeOf(read: () => unknown): string {
  try {
    read();
    return 'none';
  } catch (error) {
    return (error as CodecError).code;
  }
}
const forwarder = { host: '10.20.30.40', port: 6502 };

describe('Frame view', () => {
  for (const vector of golden) {
    it(`${vector.framing} ${vector.name}: header fields, body view and packet`, () => {
      const bytes = fromHex(vector.hex);
      const frame = decodeFrame(bytes);
      const { packet } = decode(bytes);
      expect(frame.framing).toBe(vector.framing);
      expect(frame.type).toBe(vector.type);
      expect(frame.kind).toBe(packet.kind);
      expect(frame.source).toEqual(packet.source);
      expect(frame.length).toBe(vector.length);
      expect(Buffer.from(frame.body).toString('latin1')).toBe(
        Buffer.from(vector.body, 'utf8').toString('latin1'),
      );
      // A view into the bytes read, not a copy.
      expect(frame.body.buffer).toBe(bytes.buffer);
      expect(frame.packet).toEqual(packet);
      expect(frame.text).toBe(
        packet.kind === 'message' || packet.kind === 'identified-message' ? packet.text : undefined,
      );
    });

    for (const target of framings) {
      it(`${vector.framing} ${vector.name} re-sourced in ${target} equals encode() with the new source`, () => {
        const frame = decodeFrame(fromHex(vector.hex));
        const expected = encode(
          { ...decode(fromHex(vector.hex)).packet, source: forwarder },
          target,
        );
        expect(Buffer.from(frame.withSource(forwarder).bytes(target))).toEqual(
          Buffer.from(expected),
        );
      });
    }
  }

  it('refuses every malformed vector as decode() does, whether read whole or from a stream', () => {
    for (const vector of invalid) {
      const bytes = fromHex(vector.hex);
      const expected = codeOf(() => decode(bytes));
      expect(expected).not.toBe('none');
      expect(codeOf(() => decodeFrame(bytes))).toBe(expected);
      const streamed = codeOf(() => {
        const decoder = new FrameDecoder({ maxBodySize: 1 << 20 });
        decoder.push(bytes);
        decoder.end();
      });
      // Bytes after a frame are the next frame in a stream, not a fault; a frame cut short may
      // announce more than the decoder's limit, which it refuses first; no bytes is no frame.
      if (expected === 'ERR_CODEC_TRUNCATED')
        expect(streamed).not.toBe(bytes.length > 0 ? 'none' : '');
      else if (expected !== 'ERR_CODEC_TRAILING_BYTES') expect(streamed).toBe(expected);
    }
  });

  it('re-sourcing any packet equals encoding it with the new source, in any framing', () => {
    const address = fc.record({
      host: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')),
      port: fc.nat(65535),
    });
    const packet: fc.Arbitrary<Packet> = fc.oneof(
      fc.record({ kind: fc.constant('message' as const), source: address, text: fc.string() }),
      fc.record({ kind: fc.constant('register-request' as const), source: address, address }),
      fc.record({
        kind: fc.constant('reunion-hello-back' as const),
        source: address,
        path: fc.array(address, { minLength: 1, maxLength: 99 }),
      }),
      fc.record({ kind: fc.constant('leave' as const), source: address }),
    );
    const framing = fc.constantFrom<Framing>('binary', 'text');
    fc.assert(
      fc.property(packet, framing, framing, address, (p, from, to, source) => {
        const resourced = decodeFrame(encode(p, from)).withSource(source).bytes(to);
        expect(Buffer.from(resourced)).toEqual(Buffer.from(encode({ ...p, source }, to)));
      }),
    );
  });

  it('encodes a re-sourced frame at most once per framing', () => {
    const frame = decodeFrame(encode({ kind: 'message', source: forwarder, text: 'hi' }, 'text'));
    const outgoing = frame.withSource({ host: '127.0.0.1', port: 1 });
    expect(outgoing.bytes('binary')).toBe(outgoing.bytes('binary'));
    expect(outgoing.bytes('text')).toBe(outgoing.bytes('text'));
    expect(outgoing.bytes('text')).not.toBe(outgoing.bytes('binary'));
    const originated = new PacketFrame({ kind: 'join', source: forwarder });
    expect(originated.bytes('binary')).toBe(originated.bytes('binary'));
    expect(Buffer.from(originated.bytes('text'))).toEqual(
      Buffer.from(encode({ kind: 'join', source: forwarder }, 'text')),
    );
  });

  it('refuses to re-source a body too long for the text header, and still writes it in binary', () => {
    const big = encode({ kind: 'message', source: forwarder, text: 'x'.repeat(100_000) }, 'binary');
    const outgoing = decodeFrame(big).withSource(forwarder);
    expect(() => outgoing.bytes('text')).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_BODY_TOO_LARGE' }),
    );
    expect(Buffer.from(outgoing.bytes('binary'))).toEqual(Buffer.from(big));
  });

  it('refuses an unknown framing and a bad source as CodecErrors', () => {
    const outgoing = decodeFrame(encode({ kind: 'join', source: forwarder }, 'binary'));
    expect(() => outgoing.withSource(forwarder).bytes('morse' as Framing)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_ARGUMENT' }),
    );
    expect(() => outgoing.withSource({ host: 'nowhere', port: 1 }).bytes('binary')).toThrow(
      CodecError,
    );
  });

  it('FrameDecoder hands out views whose Message text is checked but decoded only when read', () => {
    const bytes = encode({ kind: 'message', source: forwarder, text: 'ünïcode' }, 'binary');
    const [frame] = new FrameDecoder().push(bytes);
    expect(frame?.kind).toBe('message');
    expect(frame?.text).toBe('ünïcode');
    expect(frame?.text).toBe(frame?.text);
    // Cut inside the two-byte ü: malformed as soon as the frame is read, before any text is asked.
    const cut = Uint8Array.from(bytes);
    cut[7] = 1; // body length 1: only the first byte of ü
    expect(() => new FrameDecoder().push(cut.subarray(0, 21))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_UTF8' }),
    );
  });
});
