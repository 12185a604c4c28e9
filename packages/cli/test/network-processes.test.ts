import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { P2pProcess } from './processes.js';

let root: P2pProcess;
let rootAddress: string;
const peers: P2pProcess[] = [];

beforeAll(async () => {
  root = new P2pProcess([
    'root',
    '--listen',
    '127.0.0.1:0',
    '--http',
    'off',
    '--db',
    ':memory:',
    '--timings',
    'fast',
    '--json',
  ]);
  rootAddress = String((await root.waitFor((e) => e.event === 'started')).address);
  for (let i = 0; i < 3; i++) {
    const peer = new P2pProcess([
      'peer',
      '--root',
      rootAddress,
      '--listen',
      '127.0.0.1:0',
      '--manual',
      '--timings',
      'fast',
      '--json',
    ]);
    peers.push(peer);
    await peer.waitFor((e) => e.event === 'started');
  }
});

afterAll(async () => {
  for (const p of [...peers, root]) p.kill();
  await Promise.all([...peers, root].map((p) => p.exited));
});

describe('a root and three peers, each its own process, driven through standard input', () => {
  const address = (p: P2pProcess) => String(p.events.find((e) => e.event === 'started')?.address);

  it('joins with the original commands Register and Advertise', async () => {
    for (const peer of peers) {
      expect(await peer.command('Register', 'ok')).toMatchObject({ command: 'register' });
      const attached = await peer.command('advertise', 'ok'); // commands are case-insensitive
      const parent = String(attached.parent);
      const parentProcess =
        parent === rootAddress ? root : peers.find((p) => address(p) === parent);
      expect(parentProcess).toBeDefined();
      await parentProcess?.waitFor((e) => e.event === 'child-joined' && e.child === address(peer));
    }
    expect(peers.map((p) => p.events.find((e) => e.event === 'parent')?.parent)).toEqual([
      rootAddress,
      rootAddress,
      address(peers[0] as P2pProcess),
    ]);
  });

  it('a message typed in one peer appears in the other two and at the root', async () => {
    const [first, second, third] = peers as [P2pProcess, P2pProcess, P2pProcess];
    const sent = await third.command('SendMessage hello from the third peer', 'sent');
    expect(sent).toMatchObject({ delivered: 1, failed: [] });
    const arrived = (p: P2pProcess) =>
      p.waitFor((e) => e.event === 'message' && e.text === 'hello from the third peer');
    // Peers and the root name the neighbour a Message came through (`via`), and its author
    // (`origin`: the lossless extension, on by default, carries it).
    for (const [node, via] of [
      [first, address(third)],
      [second, rootAddress],
      [root, address(first)],
    ] as const) {
      expect(await arrived(node)).toMatchObject({ via, origin: address(third) });
    }
    expect(third.events.filter((e) => e.event === 'message')).toEqual([]);
  });

  it('answers an unknown command with an error and changes nothing', async () => {
    const peer = peers[1] as P2pProcess;
    const before = await peer.command('status', 'status');
    const error = await peer.command('Frobnicate now', 'error');
    expect(String(error.message)).toContain('unknown command "Frobnicate"');
    const badSend = await peer.command('SendMessage', 'error');
    expect(String(badSend.message)).toContain('SendMessage needs a text');
    const after = await peer.command('status', 'status');
    expect({ ...after, lastHelloAnsweredAt: null }).toEqual({
      ...before,
      lastHelloAnsweredAt: null,
    });
  });

  it('quit and end of input both exit 0', async () => {
    const [first, second] = peers as [P2pProcess, P2pProcess];
    first.child.stdin.write('quit\n');
    second.child.stdin.end();
    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(0);
  });

  it('the root stops cleanly on SIGTERM', async () => {
    root.child.kill('SIGTERM');
    expect(await root.exited).toBe(0);
  });
});
