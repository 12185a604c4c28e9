import { connect } from 'node:net';
import { silentLogger } from '@p2p/stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { RootServer } from '../src/root-server.js';
import { runRootService } from '../src/service/run.js';
import { describePostgres } from './postgres-describe.js';

/** Resolves with the error code of a TCP connection to `address` (refused once the root closed). */
function dialError(address: string): Promise<string | undefined> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), address.split(':').at(-1)];
  return new Promise((resolve) => {
    const socket = connect(Number(port), host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}

// runRootService leaves a do-nothing listener per signal behind once it has stopped (a late
// Ctrl-C forwarded by pnpm must not end the process by signal); the tests leave them as found.
const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
afterEach(() => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal))
      if (!before[signal].includes(listener)) process.off(signal, listener);
  }
});

/** Runs a root that receives SIGTERM the moment it has started, as a supervisor may send it. */
async function stopAsSoonAsStarted(
  options: Omit<Parameters<typeof runRootService>[0], 'logger' | 'onStarted'>,
): Promise<RootServer> {
  let started: RootServer | undefined;
  await runRootService({
    ...options,
    logger: silentLogger,
    onStarted: (server) => {
      started = server;
      process.emit('SIGTERM', 'SIGTERM');
    },
  });
  if (started === undefined) throw new Error('the root never started');
  return started;
}

describe('runRootService: SIGTERM the moment the root has started', () => {
  it('stops it gracefully: the call resolves and the root no longer accepts', async () => {
    const server = await stopAsSoonAsStarted({ listen: '127.0.0.1:0', http: null });
    expect(await dialError(server.address)).toBe('ECONNREFUSED');
  });
});

describePostgres('runRootService --standby: SIGTERM the moment it leads', (cluster) => {
  it('stops leading and returns, instead of waiting for a second signal', async () => {
    const url = await cluster().createDatabase();
    const server = await stopAsSoonAsStarted({
      listen: '127.0.0.1:0',
      http: null,
      store: url,
      standby: true,
    });
    expect(await dialError(server.address)).toBe('ECONNREFUSED');
  });
});
