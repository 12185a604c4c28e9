import net from 'node:net';
import type { Remote } from './remote-address.js';

/** What a dialled socket reports, each to its own listener. */
export interface DialListeners {
  connect(): void;
  data(chunk: Buffer): void;
  end(): void;
  error(error: NodeJS.ErrnoException): void;
  close(): void;
}

/**
 * Opens a TCP connection to `remote` with Nagle off (small frames must leave at once, not wait to
 * be coalesced with a later write) and `on` listening; `closed` resolves once the socket is closed.
 */
export function dial(
  remote: Remote,
  on: DialListeners,
): { socket: net.Socket; closed: Promise<void> } {
  const socket = net.connect({ host: remote.address.host, port: remote.address.port });
  socket.setNoDelay(true);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.once('connect', on.connect);
  socket.on('data', on.data);
  socket.on('end', on.end);
  socket.on('error', on.error);
  socket.on('close', on.close);
  return { socket, closed };
}
