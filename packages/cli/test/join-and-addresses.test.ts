import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonEvents, P2pProcess, runP2p } from './processes.js';

const running: P2pProcess[] = [];
afterEach(async () => {
  for (const p of running) p.kill();
  await Promise.all(running.splice(0).map((p) => p.exited));
});

function spawnP2p(args: string[]): P2pProcess {
  const p = new P2pProcess(args);
  running.push(p);
  return p;
}

async function startRoot(listen: string): Promise<{ root: P2pProcess; address: string }> {
  const root = spawnP2p(
    ['root', '--listen', listen, '--http', 'off', '--db', ':memory:'].concat([
      '--timings',
      'fast',
      '--json',
    ]),
  );
  return { root, address: String((await root.waitFor((e) => e.event === 'started')).address) };
}

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const portOf = (address: string) => address.split(':')[1];

describe('scripts send to the tree, not to nobody', () => {
  it("`printf 'SendMessage hello\\nquit\\n' | p2p peer --root … --json` waits to join, then sends", async () => {
    const { root, address } = await startRoot('127.0.0.1:0');
    const { code, stdout, stderr } = await runP2p(
      ['peer', '--root', address, '--json'],
      'SendMessage hello\nquit\n',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const events = jsonEvents(stdout);
    const joinedAt = events.findIndex((e) => e.event === 'parent' && e.parent === address);
    const sentAt = events.findIndex((e) => e.event === 'sent');
    expect(joinedAt).toBeGreaterThanOrEqual(0);
    expect(sentAt).toBeGreaterThan(joinedAt); // joined first, then sent
    expect(events[sentAt]).toMatchObject({ text: 'hello', delivered: 1, failed: [] });
    await root.waitFor((e) => e.event === 'message' && e.text === 'hello');
  });

  it('`p2p peer --root A,B` with nothing on A (a standby does not listen) joins through B', async () => {
    const { root, address } = await startRoot('127.0.0.1:0');
    const standby = `127.0.0.1:${await closedPort()}`;
    const { code, stdout, stderr } = await runP2p(
      ['peer', '--root', `${standby},${address}`, '--json'],
      'SendMessage through B\nstatus\nquit\n',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const events = jsonEvents(stdout);
    expect(events.find((e) => e.event === 'status')).toMatchObject({
      root: address,
      roots: [standby, address],
      parent: address,
    });
    await root.waitFor((e) => e.event === 'message' && e.text === 'through B');
  });

  it('a peer whose root is unreachable exits 1 with a clear message when the join timeout passes', async () => {
    const root = `127.0.0.1:${await closedPort()}`;
    const { code, stdout, stderr } = await runP2p(
      ['peer', '--root', root, '--json', '--join-timeout', '1500'],
      'SendMessage hello\nquit\n',
    );
    expect(code).toBe(1);
    expect(stderr).toBe(
      `p2p: the peer did not join the tree within 1.5 s: cannot reach the root ${root}: ${root} refused the connection: nothing listens there\n`,
    );
    expect(stdout).toContain('"event":"error"');
    expect(stdout).toContain('"code":"ERR_PEER_JOIN_TIMEOUT"');
    expect(stdout).not.toContain('"event":"sent"');
  });
});

describe('a message too large for the network', () => {
  it('is refused where it is typed, with the limit in bytes, and the peer stays in the tree', async () => {
    const { root, address } = await startRoot('127.0.0.1:0');
    const peer = spawnP2p(['peer', '--root', address, '--timings', 'fast', '--json']);
    await peer.waitFor((e) => e.event === 'parent');
    const refused = await peer.command(`SendMessage ${'x'.repeat(70_000)}`, 'error');
    expect(refused).toEqual({
      event: 'error',
      message: 'the message is 70000 bytes (UTF-8); the network takes at most 2020',
      code: 'ERR_PEER_MESSAGE_TOO_LARGE',
    });
    expect(await peer.command(`SendMessage ${'y'.repeat(2_020)}`, 'sent')).toMatchObject({
      delivered: 1,
    });
    await root.waitFor((e) => e.event === 'message' && e.text === 'y'.repeat(2_020));
    expect(await peer.command('status', 'status')).toMatchObject({
      parent: address,
      reunion: 'attached',
    });
    expect(peer.events.filter((e) => e.event === 'reunion-failure')).toEqual([]);
  });
});

describe('a peer nobody could reach', () => {
  it('listening on loopback with a root on another machine, refuses to start and says what to do', async () => {
    const { code, stderr } = await runP2p(
      ['peer', '--root', '203.0.113.1:5353', '--listen', '127.0.0.1:0'],
      'quit\n',
    );
    expect(code).toBe(2);
    expect(stderr).toContain(
      'p2p: the peer listens on 127.0.0.1, which the root 203.0.113.1 and other peers cannot reach; ' +
        'listen on an address of this machine they can reach (or 0.0.0.0)',
    );
  });
});

describe("the README's multi-machine recipe: a root on 0.0.0.0, peers dialling a concrete address", () => {
  it('peers register, join, and a message typed in one reaches every other node', async () => {
    const { root, address } = await startRoot('0.0.0.0:0');
    expect(address).toMatch(/^0\.0\.0\.0:/);
    // The started line names what to dial instead of 0.0.0.0.
    const started = root.events.find((e) => e.event === 'started');
    expect((started?.dial as string[] | undefined)?.[0]).toBe(`127.0.0.1:${portOf(address)}`);
    // Peers dial two different addresses of the root's wildcard, as peers on two networks would
    // (127.0.0.2 is loopback too: tests send nothing beyond this machine's loopback).
    const dialled = ['127.0.0.1', '127.0.0.2', '127.0.0.1'].map(
      (host) => `${host}:${portOf(address)}`,
    );
    const peers: P2pProcess[] = [];
    for (const rootAddress of dialled) {
      const peer = spawnP2p([
        'peer',
        '--root',
        rootAddress,
        '--listen',
        '0.0.0.0:0',
        '--timings',
        'fast',
        '--json',
      ]);
      await peer.waitFor((e) => e.event === 'registered');
      const { parent } = await peer.waitFor((e) => e.event === 'parent');
      expect(String(parent)).not.toMatch(/^0\.0\.0\.0/);
      peers.push(peer);
    }
    const own = (p: P2pProcess) => String(p.events.find((e) => e.event === 'started')?.address);
    // Each peer registered an address the others can dial, never 0.0.0.0.
    for (const peer of peers) expect(own(peer)).not.toMatch(/^0\.0\.0\.0/);
    const [first, second, third] = peers as [P2pProcess, P2pProcess, P2pProcess];
    const sent = await third.command('SendMessage hello everyone', 'sent');
    expect(sent).toMatchObject({ delivered: 1, failed: [] });
    for (const other of [root, first, second]) {
      await other.waitFor((e) => e.event === 'message' && e.text === 'hello everyone');
    }
    // The root labels a Message with the neighbour it came through, like a peer.
    const atRoot = root.events.find((e) => e.event === 'message');
    expect(atRoot).toEqual({
      event: 'message',
      text: 'hello everyone',
      via: expect.any(String),
      origin: own(third),
    });
  });
});
