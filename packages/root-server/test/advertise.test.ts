import { formatAddress, parseAddress } from '@p2p/codec';
import { Peer } from '@p2p/peer';
import { StreamNode } from '@p2p/stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MemoryStore,
  Registry,
  RootError,
  RootNode,
  RootServer,
  type RootServerOptions,
} from '../src/index.js';
import { wallClock } from './bare-root.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function root(options: Partial<RootServerOptions>): Promise<RootServer> {
  const started = await RootServer.start({
    listen: '0.0.0.0:0',
    http: null,
    timings: 'fast',
    ...options,
  });
  closers.push(() => started.close());
  return started;
}

async function peer(rootAddress: string): Promise<Peer> {
  const started = await Peer.start({ listen: '127.0.0.1:0', root: rootAddress, timings: 'fast' });
  closers.push(() => started.close());
  return started;
}

async function refusal(advertise: string): Promise<RootError> {
  return RootServer.start({ listen: '127.0.0.1:0', http: null, advertise }).then(
    async (started) => {
      await started.close();
      throw new Error(`advertise ${advertise} was accepted`);
    },
    (error: RootError) => error,
  );
}

describe('a root told the address it is reached at (advertise)', () => {
  it('on 0.0.0.0, names itself by it everywhere: the source peers check, their parent, the origin, the topology', async () => {
    // 127.0.0.2 stands for the address peers reach a root behind NAT or in a container at: not
    // this machine's first external IPv4, which the root would name itself by otherwise.
    const r = await root({ advertise: '127.0.0.2:0' });
    const { port } = parseAddress(r.listenAddress);
    const name = `127.0.0.2:${port}`;
    expect(r.listenAddress).toBe(`0.0.0.0:${port}`);
    expect(r.address).toBe(name);
    expect(r.node.origin).toBe(name);

    const peers: Peer[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await peer(name);
      await p.joined({ timeoutMs: 15_000 });
      peers.push(p);
    }
    const [first] = peers as [Peer, Peer, Peer];
    // The root's answers came from the address the peers were given: none dropped as not the root's.
    expect(peers.map((p) => p.counters.dropped['not-from-root'])).toEqual([0, 0, 0]);
    expect(peers.map((p) => p.parent)).toEqual([name, name, first.address]);
    expect(r.topology().root).toBe(name);

    const origins = peers.map(
      (p) =>
        new Promise<string | null>((resolve) => p.once('message', ({ origin }) => resolve(origin))),
    );
    await r.node.broadcast('from the root');
    expect(await Promise.all(origins)).toEqual([name, name, name]);
  });

  it('keeps an advertised port other than the listening one (a forwarded port)', async () => {
    const r = await root({ advertise: '127.0.0.2:7000' });
    expect(r.address).toBe('127.0.0.2:7000');
    expect(r.node.origin).toBe('127.0.0.2:7000');
    expect(r.topology().root).toBe('127.0.0.2:7000');
  });

  it('answers a peer that dialled another of its addresses by its name, which that peer drops', async () => {
    const r = await root({ advertise: '127.0.0.2:0' });
    const other = `127.0.0.1:${parseAddress(r.listenAddress).port}`;
    const p = await peer(other);
    const dropped = new Promise<string>((resolve) =>
      p.on('dropped', ({ reason, from }) => {
        if (reason === 'not-from-root') resolve(from);
      }),
    );
    expect(await dropped).toBe(r.address);
  });

  it.each([
    ['nowhere', 'invalid advertise address'],
    ['10.0.0.300:5353', 'invalid advertise address'],
    ['0.0.0.0:5353', 'cannot advertise 0.0.0.0'],
    ['0.0.0.0:0', 'cannot advertise 0.0.0.0'],
  ])('refuses %s with a coded error saying what to give: %s', async (advertise, message) => {
    const error = await refusal(advertise);
    expect(error).toBeInstanceOf(RootError);
    expect(error.code).toBe('ERR_ROOT_INVALID_OPTION');
    expect(error.message).toContain(message);
    expect(error.message).toContain('give the address peers reach the root at');
  });

  it('a RootNode refuses a registry whose root is not the address it names itself by', async () => {
    const transport = await StreamNode.listen({ listen: '127.0.0.1:0' });
    const registry = new Registry({
      root: formatAddress(transport.address),
      store: new MemoryStore(),
    });
    closers.push(async () => {
      await transport.close();
      await registry.close();
    });
    expect(
      () =>
        new RootNode({
          transport,
          registry,
          clock: wallClock,
          advertise: parseAddress('127.0.0.2:5353'),
        }),
    ).toThrow(/the registry's root 127\.0\.0\.1:\d+ is not the root's address 127\.0\.0\.2:5353/);
  });
});
