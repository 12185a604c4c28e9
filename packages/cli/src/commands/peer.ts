import { type Framing, isLoopbackHost, parseAddress } from '@p2p/codec';
import { Peer } from '@p2p/peer';
import { type SourceIpCheck, verifySourceIpFrom } from '@p2p/root-server/flags';
import { createLogger, type LogLevel } from '@p2p/stream';
import { failure } from '../errors.js';
import { Output } from '../output.js';
import { reportPeerEvents, runPeerShell } from '../shell/peer-shell.js';

export interface PeerFlags {
  root: string;
  listen?: string;
  advertise?: string;
  joinTimeout: number;
  manual?: boolean;
  /** False with `--no-lossless`. */
  lossless?: boolean;
  sourceIpCheck: SourceIpCheck;
  timings: 'reference' | 'fast';
  framing: Framing;
  json?: boolean;
  logLevel: LogLevel;
}

/**
 * Loopback when the roots ('A' or 'A,B') are on this machine; every interface when one is
 * elsewhere, since the roots and the other peers must reach this one (it then names itself by the
 * interface toward the root).
 */
function defaultListen(roots: string): string {
  let hosts: string[];
  try {
    hosts = roots.split(',').map((root) => parseAddress(root.trim()).host);
  } catch {
    return '127.0.0.1:0'; // Peer.start refuses the root address, saying why
  }
  return hosts.every(isLoopbackHost) ? '127.0.0.1:0' : '0.0.0.0:0';
}

/** `p2p peer`: a peer with the interactive shell on standard input and output. */
export async function peerCommand(flags: PeerFlags): Promise<void> {
  const logger = createLogger(flags.logLevel, 'p2p-peer');
  const out = new Output(process.stdout, flags.json === true);
  let peer: Peer;
  try {
    peer = await Peer.start({
      listen: flags.listen ?? defaultListen(flags.root),
      root: flags.root,
      ...(flags.advertise === undefined ? {} : { advertise: flags.advertise }),
      mode: flags.manual ? 'manual' : 'auto',
      timings: flags.timings,
      framing: flags.framing,
      ...(flags.lossless === false ? { lossless: false } : {}),
      ...verifySourceIpFrom(flags.sourceIpCheck),
      logger,
    });
  } catch (error) {
    throw failure('cannot start the peer', error);
  }
  const stopReporting = reportPeerEvents(peer, out);
  out.event(
    'started',
    { address: peer.address, root: peer.root, mode: peer.mode },
    `peer ${peer.address} (root ${peer.root}, ${peer.mode} mode) — type help for commands`,
  );
  // A signal ends the shell, even while SendMessage waits for the tree.
  const stopping = new AbortController();
  const stop = () => {
    stopping.abort();
    process.stdin.destroy();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await runPeerShell(peer, { input: process.stdin, output: process.stdout }, out, {
      joinTimeoutMs: flags.joinTimeout,
      signal: stopping.signal,
    });
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    stopReporting();
    await peer.close();
  }
}
