import net from 'node:net';
import { formatAddress } from '@p2p/codec';
import { StreamNode } from '@p2p/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, Peer } from '../../src/index.js';

/** The stream's default ACK timeout (ms): how long a Join, or a probe, waits for its ACK. */
const ACK_TIMEOUT = 10_000;

/** Waits for `ready()` to hold, checking at each turn of the event loop; fails after `ms` real ms. */
async function until(ready: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A stopped process (SIGSTOP): the kernel still accepts its connections and takes their bytes,
 * but nothing is ever read or answered.
 */
async function stoppedParent() {
  const connections: Array<{ socket: net.Socket; bytes: number }> = [];
  const server = net.createServer((socket) => {
    const connection = { socket, bytes: 0 };
    connections.push(connection);
    socket.on('data', (chunk) => {
      connection.bytes += chunk.length;
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const { socket } of connections) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A root that registers anyone and places every peer under `parent`. */
async function rootPlacingUnder(parent: string) {
  const root = await StreamNode.listen({ listen: '127.0.0.1:0' });
  const self = root.address;
  root.on('packet', ({ frame, from }) => {
    const kind = frame.packet.kind;
    if (kind === 'register-request')
      void root.send(from, { kind: 'register-response', source: self }).catch(() => {});
    if (kind === 'advertise-request') {
      const [host, port] = parent.split(':') as [string, string];
      void root
        .send(from, {
          kind: 'advertise-response',
          source: self,
          parent: { host, port: Number(port) },
        })
        .catch(() => {});
    }
  });
  return root;
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** A peer (real sockets, its timers on a manual clock) placed under a stopped parent. */
async function attachingToStopped(timings: 'reference' | 'fast') {
  const parent = await stoppedParent();
  cleanup.push(parent.close);
  const root = await rootPlacingUnder(parent.address);
  cleanup.push(() => root.close());
  const clock = new ManualClock();
  const transport = await StreamNode.listen({ listen: '127.0.0.1:0', clock });
  const peer = new Peer({ transport, root: formatAddress(root.address), clock, timings });
  cleanup.push(() => peer.close());
  const failures: Array<{ reason: string; at: number }> = [];
  peer.on('reunion-failure', ({ reason }) => failures.push({ reason, at: clock.now() }));
  peer.begin();
  // The probe is out: its offer has reached the parent's socket. Nothing on the clock moved yet.
  await until(() => parent.connections.some((c) => c.bytes > 0), 'the probe');
  const probeStart = clock.now();
  return { parent, peer, clock, failures, probeStart };
}

describe('attaching to a stopped parent (10.1.2 item 4)', () => {
  it('gives up when the probe goes unacknowledged, as it would for a Join: one ACK timeout, not two', async () => {
    const { parent, peer, clock, failures, probeStart } = await attachingToStopped('reference');
    clock.advance(ACK_TIMEOUT - 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toEqual([]);
    clock.advance(1);
    await until(() => failures.length > 0, 'the reunion failure');
    expect(failures[0]).toEqual({ reason: 'parent-unreachable', at: probeStart + ACK_TIMEOUT });
    // No Join went to it: the probe's connection is the only one it got.
    expect(parent.connections).toHaveLength(1);
    expect(peer.parent).toBeNull();
  });

  it('gives up one peer timeout after the probe started when that is shorter (fast profile)', async () => {
    const { clock, failures, probeStart } = await attachingToStopped('fast');
    clock.advance(2_375 - 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toEqual([]);
    clock.advance(1);
    await until(() => failures.length > 0, 'the reunion failure');
    expect(failures[0]).toEqual({ reason: 'timeout', at: probeStart + 2_375 });
  });
});
