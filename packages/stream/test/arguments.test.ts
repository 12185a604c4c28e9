import { CodecError } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamError } from '../src/index.js';
import { closeAll, message, startNode } from './helpers.js';

afterEach(closeAll);

describe('bad input to a node', () => {
  it('send rejects bad addresses with ERR_STREAM_INVALID_ARGUMENT', async () => {
    const node = await startNode();
    for (const to of [
      'nonsense',
      '127.0.0.1',
      '127.0.0.1:99999',
      '256.0.0.1:1',
      { host: 'x', port: 1 },
      null,
    ]) {
      const error = await node.send(to as never, message(node.address, 'x')).catch((e) => e);
      expect(error).toBeInstanceOf(StreamError);
      expect(error.code).toBe('ERR_STREAM_INVALID_ARGUMENT');
    }
    expect(node.stats().outbound).toBe(0);
  });

  it('send rejects a packet the codec cannot encode, with the CodecError as cause', async () => {
    const node = await startNode();
    const bad = [
      null,
      { kind: 'message', source: node.address, text: 42 },
      { kind: 'reunion-hello', source: node.address, path: [] },
      { kind: 'nonsense', source: node.address },
      { kind: 'join', source: { host: '1.2.3', port: 1 } },
    ];
    for (const packet of bad) {
      const error = await node.send('127.0.0.1:1', packet as never).catch((e) => e);
      expect(error).toBeInstanceOf(StreamError);
      expect(error.code).toBe('ERR_STREAM_INVALID_ARGUMENT');
      expect(error.message).toContain('invalid packet');
      expect(error.cause).toBeInstanceOf(CodecError);
    }
    expect(node.stats().outbound).toBe(0);
  });

  it('framingFor and disconnect throw ERR_STREAM_INVALID_ARGUMENT for a bad address', async () => {
    const node = await startNode();
    expect(() => node.framingFor('nope')).toThrow(StreamError);
    expect(() => node.disconnect('1.2.3.4')).toThrow(
      expect.objectContaining({ code: 'ERR_STREAM_INVALID_ARGUMENT' }),
    );
  });
});
