import { afterEach, describe, expect, it } from 'vitest';
import { P2pProcess } from './processes.js';

const processes: P2pProcess[] = [];
afterEach(async () => {
  const running = processes.splice(0);
  for (const proc of running) proc.kill();
  await Promise.all(running.map((proc) => proc.exited));
});

function p2p(args: string[]): P2pProcess {
  const proc = new P2pProcess([...args, '--timings', 'fast', '--json']);
  processes.push(proc);
  return proc;
}

describe('p2p root --advertise: the root told the address peers reach it at', () => {
  it('names itself by it (not by this machine’s first external address) and places peers that dial it', async () => {
    // 127.0.0.2 stands for the address of a root behind NAT or in a container.
    const root = p2p(['root', '--listen', '0.0.0.0:0', '--advertise', '127.0.0.2:0']);
    const started = await root.waitFor((e) => e.event === 'started');
    const port = String(started.listen).split(':')[1];
    const name = `127.0.0.2:${port}`;
    expect(started).toMatchObject({ address: name, listen: `0.0.0.0:${port}`, dial: [name] });

    const peer = p2p(['peer', '--root', name, '--listen', '127.0.0.1:0']);
    const peerAddress = String((await peer.waitFor((e) => e.event === 'started')).address);
    // Placed under the root, the peer is told the root's name as its parent.
    expect(await peer.waitFor((e) => e.event === 'parent')).toMatchObject({ parent: name });
    expect(await root.waitFor((e) => e.event === 'placed')).toMatchObject({
      address: peerAddress,
      parent: name,
    });

    root.child.kill('SIGTERM');
    expect(await root.exited).toBe(0);
  });
});
