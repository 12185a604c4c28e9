import { describe, expect, it } from 'vitest';
import { CodecError, type DecodedFrame, encode, FrameDecoder, type Packet } from '../src/index.js';
import { fromHex } from './vectors.js';

const source = { host: '127.0.0.1', port: 6501 };
const packets: Packet[] = [
  { kind: 'register-request', source, address: source },
  { kind: 'message', source, text: 'hello tree' },
  { kind: 'reunion-hello', source, path: [source, { host: '10.0.0.7', port: 6502 }] },
  { kind: 'join', source },
];
const frames = packets.flatMap((packet, i) => [encode(packet, i % 2 === 0 ? 'binary' : 'text')]);
/** The i-th frame (the list is fixed above). */
const frame = (i: number): Uint8Array => frames[i] as Uint8Array;
const stream = Uint8Array.from(frames.flatMap((frame) => [...frame]));

const kinds = (decoded: DecodedFrame[]) => decoded.map((f) => f.packet.kind);

describe('FrameDecoder', () => {
  it('decodes many frames from one chunk, detecting each frame framing', () => {
    const decoded = new FrameDecoder().push(stream);
    expect(decoded.map((f) => f.packet)).toEqual(packets);
    expect(decoded.map((f) => f.framing)).toEqual(['binary', 'text', 'binary', 'text']);
  });

  it('decodes a stream fed one byte at a time', () => {
    const decoder = new FrameDecoder();
    const decoded: DecodedFrame[] = [];
    for (const byte of stream) decoded.push(...decoder.push(Uint8Array.of(byte)));
    expect(decoded.map((f) => f.packet)).toEqual(packets);
    expect(decoder.buffered).toBe(0);
    expect(() => decoder.end()).not.toThrow();
  });

  it('gives each frame its own source when the source changes between frames', () => {
    const other = { host: '10.0.0.7', port: 6501 };
    const sameHost = { host: '127.0.0.1', port: 6502 };
    const sources = [source, source, other, sameHost, source];
    const bytes = sources.flatMap((from, i) => [
      ...encode({ kind: 'join', source: from }, i % 2 === 0 ? 'binary' : 'text'),
    ]);
    const decoded = new FrameDecoder().push(Uint8Array.from(bytes));
    expect(decoded.map((f) => f.source)).toEqual(sources);
    expect(decoded.map((f) => f.packet.source)).toEqual(sources);
  });

  it('checks Message bodies for UTF-8 at every length, short and long', () => {
    for (const length of [1, 255, 256, 257, 1000]) {
      const valid = `${'x'.repeat(length - 1)}é`;
      const good = encode({ kind: 'message', source, text: valid }, 'binary');
      expect(new FrameDecoder().push(good).map((f) => f.text)).toEqual([valid]);
      const bad = Uint8Array.from(
        encode({ kind: 'message', source, text: 'x'.repeat(length) }, 'text'),
      );
      bad[bad.length - 1] = 0xff;
      expect(() => new FrameDecoder().push(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_CODEC_UTF8' }),
      );
    }
  });

  it('decodes the stream split in two at every offset', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const decoded = [
        ...decoder.push(stream.subarray(0, cut)),
        ...decoder.push(stream.subarray(cut)),
      ];
      expect(decoded.map((f) => f.packet)).toEqual(packets);
    }
  });

  it('rejects a body above the limit as soon as the header is in, keeping no body byte', () => {
    const decoder = new FrameDecoder({ maxBodySize: 8 });
    const big = encode({ kind: 'message', source, text: 'x'.repeat(9) }, 'binary');
    expect(decoder.push(big.subarray(0, 19))).toEqual([]);
    expect(decoder.buffered).toBe(19);
    expect(() => decoder.push(big.subarray(19, 20))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_BODY_TOO_LARGE' }),
    );
  });

  it('refuses a bad maxBodySize as a bad argument, not as a bad packet', () => {
    expect(() => new FrameDecoder({ maxBodySize: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_INVALID_ARGUMENT' }),
    );
    expect(() => new FrameDecoder({ maxBodySize: Number.NaN })).toThrow(CodecError);
  });

  it('accepts a body exactly at the limit', () => {
    const frame = encode({ kind: 'message', source, text: 'x'.repeat(8) }, 'text');
    expect(kinds(new FrameDecoder({ maxBodySize: 8 }).push(frame))).toEqual(['message']);
  });

  it('rejects 0xffffffff body length without allocating it', () => {
    const decoder = new FrameDecoder();
    const header = fromHex('00010001ffffffff007f000000000001000014e9');
    expect(() => decoder.push(header)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_BODY_TOO_LARGE' }),
    );
  });

  it('rejects an unknown first byte at once, before a header is complete', () => {
    expect(() => new FrameDecoder().push(Uint8Array.of(0x47))).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_UNKNOWN_FRAMING', offset: 0 }),
    );
  });

  it('hands back the good frames before a bad one, with the offset of the bad frame', () => {
    const decoder = new FrameDecoder();
    const withGarbage = Uint8Array.from([...frame(0), ...frame(1), 0xff, 0xff]);
    let error: CodecError | undefined;
    try {
      decoder.push(withGarbage);
    } catch (e) {
      error = e as CodecError;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect(error?.offset).toBe(frame(0).length + frame(1).length);
    expect(kinds([...(error?.frames ?? [])])).toEqual(['register-request', 'message']);
  });

  it('stays failed after an error: a byte stream cannot be resynchronised', () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.push(Uint8Array.of(0x02))).toThrow(CodecError);
    expect(() => decoder.push(frame(0))).toThrow(CodecError);
  });

  it('reports an offset counted across chunks', () => {
    const decoder = new FrameDecoder();
    decoder.push(frame(0));
    expect(() =>
      decoder.push(fromHex('0002000100000006007f000000000001000014e952455341434b')),
    ).toThrow(expect.objectContaining({ code: 'ERR_CODEC_VERSION', offset: frame(0).length }));
  });

  it('end() reports a frame left unfinished', () => {
    const decoder = new FrameDecoder();
    decoder.push(frame(1).subarray(0, 30));
    expect(() => decoder.end()).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_TRUNCATED', offset: 0 }),
    );
  });
});
