import dgram from 'node:dgram';
import { type Address, normaliseAddress } from '@p2p/codec';
import { PeerError } from './errors.js';
import { isWildcardHost } from './reply-sources.js';

const isLoopback = (host: string) => host.startsWith('127.');

/**
 * The address a peer puts in its packets, when it cannot be the one it listens on: every node it
 * talks to must be able to dial it there (the root registers it, children join it).
 *
 * - `explicit` (`advertise`) wins; its port 0 means the port the peer listens on.
 * - Listening on 0.0.0.0: the address of the interface that reaches the root (the one the system
 *   would use to connect to it), with the listening port.
 * - Listening on loopback with a root elsewhere: nobody else can reach the peer; refused.
 *
 * Resolves undefined when the listening address is the right one.
 */
export async function advertiseAddress(
  bound: Address,
  root: Address,
  explicit: Address | undefined,
): Promise<Address | undefined> {
  if (explicit !== undefined) {
    return normaliseAddress({ host: explicit.host, port: explicit.port || bound.port });
  }
  if (isWildcardHost(bound.host)) {
    const host = await interfaceTowards(root);
    if (host === undefined || isWildcardHost(host)) {
      throw new PeerError(
        'ERR_NO_ADVERTISE_ADDRESS',
        `listening on ${bound.host}, the peer found no interface that reaches the root ${root.host}; ` +
          "give the address other nodes reach it at (option advertise, 'HOST:PORT')",
      );
    }
    return normaliseAddress({ host, port: bound.port });
  }
  if (isLoopback(bound.host) && !isLoopback(root.host)) {
    throw new PeerError(
      'ERR_NO_ADVERTISE_ADDRESS',
      `the peer listens on ${bound.host}, which the root ${root.host} and other peers cannot reach; ` +
        'listen on an address of this machine they can reach (or 0.0.0.0), or give the address ' +
        "they reach it at (option advertise, 'HOST:PORT')",
    );
  }
  return undefined;
}

/**
 * The local address the system picks to reach `remote`: connecting a UDP socket only consults the
 * routing table, nothing is sent, so it works whether or not the root is up yet.
 */
function interfaceTowards(remote: Address): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const done = (host: string | undefined) => {
      socket.close();
      resolve(host);
    };
    socket.once('error', () => done(undefined));
    socket.connect(remote.port, remote.host, () => done(socket.address().address));
  });
}
