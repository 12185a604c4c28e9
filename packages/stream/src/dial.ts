import net from 'node:net';
import type { Remote } from './remote-address.js';

/** What a dialled socket reports, each to its own listener. */
export interface DialListeners {
  connect(): void;
  /** Bytes read, as a chunk of their own (`'data'` events). */
  data?(chunk: Buffer): void;
  /**
   * Bytes read, as the first `length` bytes of `bytes`, a buffer shared by every socket of the
   * process and overwritten by the next read: they must be consumed before returning. Returns
   * whether to go on reading (false pauses the socket).
   */
  read?(length: number, bytes: Uint8Array): boolean;
  end(): void;
  error(error: NodeJS.ErrnoException): void;
  close(): void;
}

/**
 * The buffer every socket dialled with `read` reads into (Node's `onread`): reads are handled one
 * at a time, each consumed before the next, so one buffer serves them all. A `'data'` event costs
 * a 64 KiB allocation, a Buffer and a pass through the stream machinery per read; in lock-step an
 * outgoing connection reads one 3-byte `ACK` per packet, so that was a good part of its cost.
 * Made on the first such dial.
 */
let readBuffer: Buffer | undefined;

function sharedReadBuffer(): Buffer {
  readBuffer ??= Buffer.allocUnsafeSlow(65_536);
  return readBuffer;
}

/**
 * Opens a TCP connection to `remote` with Nagle off (small frames must leave at once, not wait to
 * be coalesced with a later write) and `on` listening, reads going to `on.read` if given, else to
 * `on.data`; `closed` resolves once the socket is closed.
 */
export function dial(
  remote: Remote,
  on: DialListeners,
): { socket: net.Socket; closed: Promise<void> } {
  const { host, port } = remote.address;
  const read = on.read;
  const socket =
    read === undefined
      ? net.connect({ host, port })
      : net.connect({ host, port, onread: { buffer: sharedReadBuffer(), callback: read } });
  socket.setNoDelay(true);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.once('connect', on.connect);
  if (on.data !== undefined) socket.on('data', on.data);
  socket.on('end', on.end);
  socket.on('error', on.error);
  socket.on('close', on.close);
  return { socket, closed };
}
