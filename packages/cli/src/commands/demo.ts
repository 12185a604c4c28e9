import { createInterface } from 'node:readline';
import type { Framing } from '@p2p/codec';
import { Peer } from '@p2p/peer';
import { isAttached, type NodeLinks, RootServer } from '@p2p/root-server';
import { createLogger, type LogLevel } from '@p2p/stream';
import { CliError } from '../errors.js';
import { Output } from '../output.js';
import { drawTree } from '../tree-drawing.js';

export interface DemoFlags {
  peers: number;
  http: string;
  timings: 'reference' | 'fast';
  framing: Framing;
  json?: boolean;
  logLevel: LogLevel;
  prompt: boolean;
  /** False with `--no-lossless`. */
  lossless?: boolean;
}

/** A running local network: a root and its peers in this process. */
interface Network {
  root: RootServer;
  peers: Peer[];
  close(): Promise<void>;
}

/** How many peers are in the tree: their Join landed at the parent they name. */
function joined(network: Network): number {
  const nodes = new Map<string, NodeLinks>([[network.root.address, network.root.node]]);
  for (const peer of network.peers) nodes.set(peer.address, peer);
  const views = { nodeAt: (address: string) => nodes.get(address) };
  return network.peers.filter((p) => isAttached(p.address, views)).length;
}

/** Resolves when every peer is in the tree, reporting progress; rejects after `ms`. */
function waitForJoins(network: Network, out: Output, ms: number): Promise<void> {
  const total = network.peers.length;
  const tty = process.stdout.isTTY === true && !out.json;
  let last = -1;
  return new Promise((resolve, reject) => {
    const check = () => {
      const count = joined(network);
      if (count !== last) {
        last = count;
        if (tty) process.stdout.write(`\rjoining: ${count}/${total} peers in the tree`);
        else if (out.json) out.event('progress', { joined: count, total }, '');
      }
      if (count < total) return;
      done();
      if (tty) process.stdout.write('\n');
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new CliError(
          'ERR_CLI_TIMEOUT',
          `only ${joined(network)} of ${total} peers joined within ${ms / 1000} s`,
        ),
      );
    }, ms);
    const emitters = [network.root.node, ...network.peers];
    const done = () => {
      clearTimeout(timer);
      for (const e of emitters) e.off('neighbour-added', check);
    };
    for (const e of emitters) e.on('neighbour-added', check);
    if (!tty && !out.json) out.event('progress', {}, `joining: ${total} peers…`);
    check();
  });
}

/** Broadcasts from `sender` and resolves with the milliseconds until every other node delivered it. */
function timedBroadcast(
  network: Network,
  sender: { broadcast(text: string): Promise<unknown>; address: string },
  text: string,
): Promise<number> {
  const nodes = [network.root.node, ...network.peers].filter((n) => n.address !== sender.address);
  return new Promise((resolve, reject) => {
    let remaining = nodes.length;
    const start = performance.now();
    const listeners = nodes.map((node) => {
      const listener = ({ text: got }: { text: string }) => {
        if (got !== text) return;
        node.off('message', listener);
        if (--remaining === 0) {
          clearTimeout(timer);
          resolve(performance.now() - start);
        }
      };
      node.on('message', listener);
      return () => node.off('message', listener);
    });
    const timer = setTimeout(() => {
      for (const off of listeners) off();
      reject(
        new CliError(
          'ERR_CLI_TIMEOUT',
          `the message reached ${nodes.length - remaining} of ${nodes.length} nodes within 10 s`,
        ),
      );
    }, 10_000);
    sender.broadcast(text).catch(reject);
  });
}

async function startNetwork(flags: DemoFlags, logLevel: LogLevel): Promise<Network> {
  const logger = createLogger(logLevel, 'p2p-demo');
  const root = await RootServer.start({
    listen: '127.0.0.1:0',
    http: flags.http,
    store: ':memory:',
    timings: flags.timings,
    framing: flags.framing,
    ...(flags.lossless === false ? { lossless: false } : {}),
    logger,
  });
  const peers: Peer[] = [];
  const network: Network = {
    root,
    peers,
    close: async () => {
      await Promise.all(peers.map((p) => p.close()));
      await root.close();
    },
  };
  try {
    for (let i = 0; i < flags.peers; i++) {
      peers.push(
        await Peer.start({
          listen: '127.0.0.1:0',
          root: root.address,
          timings: flags.timings,
          framing: flags.framing,
          ...(flags.lossless === false ? { lossless: false } : {}),
          logger,
        }),
      );
    }
  } catch (error) {
    await network.close();
    throw error;
  }
  return network;
}

/**
 * `p2p demo`: a root and N peers on loopback in this process. Shows them joining, draws the tree,
 * times a broadcast to every peer, then broadcasts each line typed until Ctrl-C or end of input.
 */
export async function demoCommand(flags: DemoFlags): Promise<void> {
  const out = new Output(process.stdout, flags.json === true);
  const network = await startNetwork(flags, flags.logLevel);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const started = performance.now();
    await waitForJoins(network, out, 30_000 + flags.peers * 50);
    const joinMs = performance.now() - started;
    const topology = network.root.topology();
    out.event(
      'tree',
      {
        root: topology.root,
        nodes: topology.nodes.map(({ address, parent, depth }) => ({ address, parent, depth })),
      },
      `${network.peers.length} peers joined in ${joinMs.toFixed(0)} ms\n\n${drawTree(topology.root, topology.nodes)}\n`,
    );
    const first = 'hello from the root';
    const ms = await timedBroadcast(network, network.root.node, first);
    out.event(
      'broadcast',
      { text: first, from: network.root.address, reached: network.peers.length, ms },
      `broadcast "${first}" reached all ${network.peers.length} peers in ${ms.toFixed(1)} ms`,
    );
    const dashboard =
      network.root.httpAddress === null ? null : `http://${network.root.httpAddress}/`;
    out.event('ready', { dashboard }, dashboard === null ? '' : `dashboard: ${dashboard}`);
    if (!flags.prompt) return;
    out.event(
      'prompt',
      {},
      'type a message and press Enter to broadcast it from a random peer; Ctrl-C to stop',
    );
    await readMessages(network, out, stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await network.close();
  }
}

async function readMessages(network: Network, out: Output, signal: AbortSignal): Promise<void> {
  const terminal = process.stdin.isTTY === true && !out.json;
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal,
    prompt: 'broadcast> ',
  });
  // Ctrl-C leaves on a new line, so that the terminal's prompt starts afresh.
  rl.on('SIGINT', () => {
    if (terminal) process.stdout.write('\n');
    rl.close();
  });
  signal.addEventListener('abort', () => rl.close(), { once: true });
  if (terminal) rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text !== '') {
      const sender = network.peers[Math.floor(Math.random() * network.peers.length)] as Peer;
      try {
        const ms = await timedBroadcast(network, sender, text);
        out.event(
          'broadcast',
          { text, from: sender.address, ms },
          `from ${sender.address}: reached every node in ${ms.toFixed(1)} ms`,
        );
      } catch (error) {
        out.event(
          'error',
          { message: (error as Error).message },
          `error: ${(error as Error).message}`,
        );
      }
    }
    if (terminal) rl.prompt();
  }
}
