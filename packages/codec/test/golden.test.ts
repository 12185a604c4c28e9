import { describe, expect, it } from 'vitest';
import { CodecError, decode, encode, type Packet } from '../src/index.js';
import {
  fromHex,
  type GoldenVector,
  type InvalidVector,
  loadVectors,
  type QuirkVector,
  toHex,
} from './vectors.js';

const golden = [
  ...loadVectors<GoldenVector>('binary.json'),
  ...loadVectors<GoldenVector>('text.json'),
];
const invalid = loadVectors<InvalidVector>('invalid.json');
const quirks = loadVectors<QuirkVector>('quirks.json');

const typeOfKind: Record<Packet['kind'], number> = {
  'register-request': 1,
  'register-response': 1,
  'advertise-request': 2,
  'advertise-response': 2,
  join: 3,
  message: 4,
  'reunion-hello': 5,
  'reunion-hello-back': 5,
  leave: 6,
  'capabilities-offer': 7,
  'capabilities-answer': 7,
  'identified-message': 8,
  digest: 9,
};

/** The fixed-width host a vector writes, in plain dotted form. */
const plainHost = (fixed: string): string =>
  fixed
    .split('.')
    .map((octet) => String(Number.parseInt(octet, 10)))
    .join('.');

describe('golden vectors', () => {
  it('has vectors in both framings', () => {
    expect(golden.filter((v) => v.framing === 'binary').length).toBeGreaterThan(10);
    expect(golden.filter((v) => v.framing === 'text').length).toBeGreaterThan(10);
  });

  for (const vector of golden) {
    it(`${vector.framing} ${vector.name} decodes to its fields and re-encodes byte for byte`, () => {
      const { packet, framing } = decode(fromHex(vector.hex));
      expect(framing).toBe(vector.framing);
      expect(typeOfKind[packet.kind]).toBe(vector.type);
      expect(packet.source).toEqual({ host: plainHost(vector.sourceIp), port: vector.sourcePort });
      const body = vector.body;
      switch (packet.kind) {
        case 'register-request':
        case 'advertise-response': {
          const entry = packet.kind === 'register-request' ? packet.address : packet.parent;
          expect(entry).toEqual({
            host: plainHost(body.slice(3, 18)),
            port: Number(body.slice(18, 23)),
          });
          break;
        }
        case 'message':
          expect(packet.text).toBe(body);
          expect(Buffer.byteLength(packet.text)).toBe(vector.length);
          break;
        case 'reunion-hello':
        case 'reunion-hello-back': {
          expect(body.slice(0, 3)).toBe(packet.kind === 'reunion-hello' ? 'REQ' : 'RES');
          expect(packet.path).toHaveLength(Number(body.slice(3, 5)));
          packet.path.forEach((entry, i) => {
            const at = 5 + i * 20;
            expect(entry).toEqual({
              host: plainHost(body.slice(at, at + 15)),
              port: Number(body.slice(at + 15, at + 20)),
            });
          });
          break;
        }
        case 'capabilities-offer':
        case 'capabilities-answer':
          expect(body.slice(0, 3)).toBe(packet.kind === 'capabilities-offer' ? 'REQ' : 'RES');
          expect(packet.capabilities).toEqual(
            Object.fromEntries(
              body
                .slice(4)
                .split(' ')
                .map((token) => [token.split('=')[0], Number(token.split('=')[1])]),
            ),
          );
          break;
        case 'identified-message':
          expect(packet.author).toBe(body[0] === 'O' ? 'origin' : 'gateway');
          expect(packet.start).toBe(body[1] === 'S');
          expect(packet.origin).toEqual({
            host: plainHost(body.slice(2, 17)),
            port: Number(body.slice(17, 22)),
          });
          expect(packet.epoch).toBe(Number(body.slice(22, 35)));
          expect(packet.seq).toBe(Number(body.slice(35, 47)));
          expect(packet.text).toBe(body.slice(47));
          break;
        case 'digest':
          expect(packet.fresh).toBe(body[0] === 'F');
          expect(packet.entries).toHaveLength(Number(body.slice(1, 5)));
          packet.entries.forEach((entry, i) => {
            const at = 5 + i * 45;
            expect(entry).toEqual({
              origin: {
                host: plainHost(body.slice(at, at + 15)),
                port: Number(body.slice(at + 15, at + 20)),
              },
              epoch: Number(body.slice(at + 20, at + 33)),
              hwm: Number(body.slice(at + 33, at + 45)),
            });
          });
          break;
        default:
          expect(['RESACK', 'REQ', 'JOIN']).toContain(body);
      }
      expect(toHex(encode(packet, framing))).toBe(vector.hex);
    });
  }
});

describe('invalid vectors', () => {
  for (const vector of invalid) {
    it(`${vector.name} is rejected with a CodecError (${vector.why})`, () => {
      let thrown: unknown;
      try {
        decode(fromHex(vector.hex));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CodecError);
      expect((thrown as CodecError).code).toMatch(/^ERR_[A-Z0-9_]+$/);
      // The vectors of the lossless extension name the code they must give.
      if (vector.code !== undefined) expect((thrown as CodecError).code).toBe(vector.code);
    });
  }

  it('gives specific codes', () => {
    const codeOf = (name: string): string | undefined => {
      const vector = invalid.find((v) => v.name === name);
      if (!vector) throw new Error(`no vector ${name}`);
      try {
        decode(fromHex(vector.hex));
      } catch (error) {
        return (error as CodecError).code;
      }
      return undefined;
    };
    expect(codeOf('bin_wrong_version_2')).toBe('ERR_CODEC_VERSION');
    // Type 6 is Leave here (an extension, docs/protocol.md): the vector's body REQ is not LEAVE.
    expect(codeOf('bin_unknown_type_6')).toBe('ERR_CODEC_BODY');
    expect(codeOf('bin_length_exceeds_available')).toBe('ERR_CODEC_TRUNCATED');
    expect(codeOf('bin_empty')).toBe('ERR_CODEC_TRUNCATED');
    expect(codeOf('bin_ip_octet_256')).toBe('ERR_CODEC_ADDRESS');
    expect(codeOf('bin_body_not_utf8')).toBe('ERR_CODEC_UTF8');
    expect(codeOf('bin_reunion_count_mismatch_more')).toBe('ERR_CODEC_BODY');
    expect(codeOf('bin_register_req_body_port_99999')).toBe('ERR_CODEC_ADDRESS');
    expect(codeOf('txt_length_non_numeric')).toBe('ERR_CODEC_LENGTH');
    expect(codeOf('txt_wrong_version_2')).toBe('ERR_CODEC_VERSION');
    expect(codeOf('txt_port_70000')).toBe('ERR_CODEC_ADDRESS');
  });
});

describe('quirks of the reference implementation (length counted in characters)', () => {
  it('a body truncated on a character boundary decodes to the text that was sent', () => {
    const quirk = quirks.find((q) => q.name === 'message_non_ascii_2byte');
    const { packet } = decode(fromHex(quirk?.hex ?? ''));
    expect(packet).toMatchObject({ kind: 'message', text: 'café' });
  });

  it('a body cut inside a character is rejected as ERR_CODEC_UTF8, not mangled', () => {
    for (const quirk of quirks.filter((q) => q.name !== 'message_non_ascii_2byte')) {
      expect(() => decode(fromHex(quirk.hex))).toThrow(
        expect.objectContaining({ code: 'ERR_CODEC_UTF8' }),
      );
    }
  });

  it('we count bytes: non-ASCII text round-trips whole', () => {
    const packet: Packet = {
      kind: 'message',
      source: { host: '127.0.0.1', port: 6501 },
      text: 'hi 😀 café',
    };
    const bytes = encode(packet, 'binary');
    expect(bytes.length).toBe(20 + Buffer.byteLength(packet.text));
    expect(decode(bytes).packet).toEqual(packet);
  });

  it('a genuine U+FFFD in the text survives, while invalid bytes are still refused', () => {
    const packet: Packet = {
      kind: 'message',
      source: { host: '127.0.0.1', port: 6501 },
      text: 'bad \uFFFD char',
    };
    expect(decode(encode(packet, 'text')).packet).toEqual(packet);
    const broken = encode({ ...packet, text: 'bad ? char' }, 'text');
    broken[28 + 4] = 0xff;
    expect(() => decode(broken)).toThrow(expect.objectContaining({ code: 'ERR_CODEC_UTF8' }));
  });
});

describe('Leave (type 6, an extension)', () => {
  it('is LEAVE in both framings', () => {
    const source = { host: '127.0.0.1', port: 5353 };
    const text = encode({ kind: 'leave', source }, 'text');
    expect(new TextDecoder().decode(text)).toBe('10600005127.000.000.00105353LEAVE');
    const binary = encode({ kind: 'leave', source }, 'binary');
    expect(Buffer.from(binary).toString('hex')).toBe(
      `0001000600000005007f000000000001000014e9${Buffer.from('LEAVE').toString('hex')}`,
    );
    for (const frame of [text, binary])
      expect(decode(frame).packet).toEqual({ kind: 'leave', source });
  });
});
