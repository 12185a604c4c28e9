import { afterEach, describe, expect, it } from 'vitest';
import { Peer, type PeerError } from '../src/index.js';
import { rejectionOf } from './fake-transport.js';
import { StandInRoot } from './stand-in-root.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function standInRoot(listen: string): Promise<StandInRoot> {
  const root = await StandInRoot.start(listen);
  closers.push(() => root.close());
  return root;
}

async function peer(options: Parameters<typeof Peer.start>[0]): Promise<Peer> {
  const started = await Peer.start({ timings: 'fast', ...options });
  closers.push(() => started.close());
  return started;
}

const portOf = (address: string) => Number(address.split(':')[1]);

describe('every node puts in its packets an address the receiver reaches it at', () => {
  it('a root listening on 0.0.0.0 answers a peer from the address the peer dialled', async () => {
    const root = await standInRoot('0.0.0.0:0');
    expect(root.address).toMatch(/^0\.0\.0\.0:/);
    const dialled = `127.0.0.1:${portOf(root.address)}`;
    const p = await peer({ listen: '127.0.0.1:0', root: dialled });
    // Placed under the root, the peer is told the root's address as it knows it, never 0.0.0.0.
    expect(await p.joined({ timeoutMs: 10_000 })).toBe(dialled);
    expect(p.counters.dropped['not-from-root']).toBe(0);
    const atPeer = new Promise<string>((resolve) => p.once('message', ({ from }) => resolve(from)));
    const atRoot = new Promise<string>((resolve) =>
      root.once('message', ({ text }) => resolve(text)),
    );
    expect(await root.broadcast('from the root')).toEqual({ delivered: 1, failed: [] });
    expect(await atPeer).toBe(dialled);
    expect(await p.broadcast('from the peer')).toEqual({ delivered: 1, failed: [] });
    expect(await atRoot).toBe('from the peer');
  });

  it('a peer listening on 0.0.0.0 advertises the interface that reaches the root', async () => {
    const root = await standInRoot('127.0.0.1:0');
    const p = await peer({ listen: '0.0.0.0:0', root: root.address });
    expect(p.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(portOf(p.address)).toBeGreaterThan(0);
    await p.joined({ timeoutMs: 10_000 });
    expect([...root.registered]).toEqual([p.address]);
    expect(root.children).toEqual([p.address]);
  });

  it('an explicit advertise address is used, its port 0 meaning the listening port', async () => {
    const root = await standInRoot('127.0.0.1:0');
    const p = await peer({ listen: '0.0.0.0:0', root: root.address, advertise: '127.0.0.2:0' });
    expect(p.address).toMatch(/^127\.0\.0\.2:\d+$/);
    await p.joined({ timeoutMs: 10_000 });
    expect(root.children).toEqual([p.address]);
  });

  it('a peer listening on loopback with a root elsewhere refuses to start, and says why', async () => {
    const error = await Peer.start({ listen: '127.0.0.1:0', root: '192.0.2.1:5353' }).then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: PeerError) => e,
    );
    expect(error.code).toBe('ERR_PEER_NO_ADVERTISE_ADDRESS');
    expect(error.message).toContain(
      'the peer listens on 127.0.0.1, which the root 192.0.2.1 and other peers cannot reach',
    );
  });

  it.each(['0.0.0.0:7000', '0.0.0.0:0'])(
    'an explicit wildcard advertise address (%s) is refused: it names no machine',
    async (advertise) => {
      const error = await rejectionOf<PeerError>(
        Peer.start({ listen: '127.0.0.1:0', root: '127.0.0.1:5353', advertise }),
      );
      expect(error.code).toBe('ERR_PEER_NO_ADVERTISE_ADDRESS');
      expect(error.message).toContain('cannot advertise 0.0.0.0');
    },
  );
});

describe('the root address must be one a peer can dial', () => {
  it('refuses port 0 with a coded error, before listening', async () => {
    const error = await rejectionOf<PeerError>(
      Peer.start({ listen: '0.0.0.0:0', root: '127.0.0.1:0' }),
    );
    expect(error.code).toBe('ERR_PEER_INVALID_OPTIONS');
    expect(error.message).toBe(
      'invalid root address 127.0.0.1:0: give the port the root listens on, not 0',
    );
  });

  it('refuses a wildcard root, naming what to dial instead', async () => {
    const error = await rejectionOf<PeerError>(
      Peer.start({ listen: '127.0.0.1:0', root: '0.0.0.0:5353' }),
    );
    expect(error.code).toBe('ERR_PEER_INVALID_OPTIONS');
    expect(error.message).toContain('give 127.0.0.1:5353 for a root on this machine');
  });
});
