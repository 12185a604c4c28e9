import { createServer } from 'node:net';
import { afterEach } from 'vitest';
import { PeerProcess } from './peer-process.js';
import { RootProcess } from './root-process.js';

/** What a test stops at its end, last started first. */
export type Cleanups = Array<() => Promise<void> | void>;

/** The cleanups of a test file, run after each test (processes killed and awaited). */
export function cleanUpAfterEach(): Cleanups {
  const cleanups: Cleanups = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}

export interface StandbyTimings {
  helloInterval: number;
  peerTimeout: number;
  rootTimeout: number;
}

/** A root with `--standby` on `db`, to listen on `listen` once it leads. */
export function startStandbyRoot(
  db: string,
  listen: string,
  timings: StandbyTimings,
  cleanups: Cleanups,
): RootProcess {
  const root = new RootProcess(
    [
      '--listen',
      listen,
      '--http',
      '127.0.0.1:0',
      '--standby',
      '--hello-interval',
      String(timings.helloInterval),
      '--root-timeout',
      String(timings.rootTimeout),
    ],
    { P2P_DB: db },
  );
  cleanups.push(async () => {
    root.kill();
    await root.exited;
  });
  return root;
}

/** A peer process given `root` ('A' or 'A,B'). */
export function startPeer(root: string, timings: StandbyTimings, cleanups: Cleanups): PeerProcess {
  const process = new PeerProcess(root, timings);
  cleanups.push(async () => {
    process.kill();
    await process.exited;
  });
  return process;
}

/** `/healthz` of the admin server a root logged in `line`. */
export async function health(
  line: Record<string, unknown>,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://${String(line.http)}/healthz`);
  return { status: response.status, text: (await response.text()).trim() };
}

export async function metric(http: string, name: string): Promise<number> {
  const text = await (await fetch(`http://${http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

/** A loopback address free a moment ago: a standby listens only once it leads. */
export function freeAddress(): Promise<string> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(`127.0.0.1:${port}`));
    });
  });
}

/** The tree as (address, parent) pairs in a stable order. */
export const shape = (nodes: Array<{ address: string; parent: string | null }>) =>
  nodes
    .map(({ address, parent }) => ({ address, parent }))
    .sort((a, b) => a.address.localeCompare(b.address));
