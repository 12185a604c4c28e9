import { describe, expect, it } from 'vitest';
import {
  CodecError,
  encode,
  formatAddress,
  formatEntry,
  isLoopbackHost,
  isWildcardHost,
  parseAddress,
  plainHost,
  sameAddress,
} from '../src/index.js';

describe('addresses', () => {
  it('tells loopback and wildcard hosts, IPv4-mapped or not, from the rest', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      '127.000.000.001',
      'localhost',
      '::1',
      '::ffff:127.0.0.1',
    ])
      expect([host, isLoopbackHost(host)]).toEqual([host, true]);
    for (const host of ['0.0.0.0', '000.000.000.000', '::', '::ffff:0.0.0.0'])
      expect([host, isWildcardHost(host)]).toEqual([host, true]);
    for (const host of ['10.0.0.7', '128.0.0.1', '0.0.0.1', '1.127.0.0', 'nonsense']) {
      expect([host, isLoopbackHost(host), isWildcardHost(host)]).toEqual([host, false, false]);
    }
    expect(plainHost('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(plainHost('10.0.0.7')).toBe('10.0.0.7');
    expect(plainHost('fe80::1')).toBe('fe80::1');
  });

  it('parses plain and zero-padded hosts, treating leading zeros as decimal', () => {
    expect(parseAddress('127.0.0.1:5353')).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(parseAddress('010.000.000.007:06502')).toEqual({ host: '10.0.0.7', port: 6502 });
    expect(parseAddress('localhost:80')).toEqual({ host: '127.0.0.1', port: 80 });
  });

  it.each(['127.0.0.1', '256.0.0.1:1', '1.2.3:4', '1.2.3.4:65536', 'a.b.c.d:1', '1.2.3.4:-1', ''])(
    'rejects %j with ERR_CODEC_ADDRESS and a message saying the expected form',
    (text) => {
      expect(() => parseAddress(text)).toThrow(
        expect.objectContaining({ code: 'ERR_CODEC_ADDRESS' }),
      );
    },
  );

  it('formats both forms', () => {
    expect(formatAddress({ host: '10.0.0.7', port: 6502 })).toBe('10.0.0.7:6502');
    expect(formatEntry({ host: '10.0.0.7', port: 6502 })).toBe('010.000.000.00706502');
  });

  it('compares after normalisation', () => {
    expect(sameAddress({ host: '127.000.000.001', port: 1 }, { host: '127.0.0.1', port: 1 })).toBe(
      true,
    );
    expect(sameAddress({ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 2 })).toBe(false);
  });

  it('refuses to encode a packet with an invalid address or path', () => {
    const source = { host: '127.0.0.1', port: 1 };
    expect(() =>
      encode({ kind: 'join', source: { host: 'example.com', port: 1 } }, 'text'),
    ).toThrow(CodecError);
    expect(() => encode({ kind: 'reunion-hello', source, path: [] }, 'binary')).toThrow(CodecError);
    expect(() =>
      encode({ kind: 'reunion-hello', source, path: new Array(100).fill(source) }, 'binary'),
    ).toThrow(CodecError);
    expect(() => encode({ kind: 'message', source, text: 'x'.repeat(100_000) }, 'text')).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC_BODY_TOO_LARGE' }),
    );
  });
});
