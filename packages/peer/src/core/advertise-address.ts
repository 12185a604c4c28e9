import dgram from 'node:dgram';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { type Address, isLoopbackHost, isWildcardHost, normaliseAddress } from '@p2p/codec';
import { PeerError } from '../errors.js';

/**
 * The address a peer puts in its packets, when it cannot be the one it listens on: every node it
 * talks to must be able to dial it there (the root registers it, children join it).
 *
 * - `explicit` (`advertise`) wins; its port 0 means the port the peer listens on. A wildcard
 *   (0.0.0.0) names no machine: refused.
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
    checkAdvertisable(explicit);
    return normaliseAddress({ host: explicit.host, port: explicit.port || bound.port });
  }
  if (isWildcardHost(bound.host)) {
    const host = await interfaceTowards(root);
    if (host === undefined || isWildcardHost(host)) {
      throw new PeerError(
        'ERR_PEER_NO_ADVERTISE_ADDRESS',
        `listening on ${bound.host}, the peer found no interface that reaches the root ${root.host}; ` +
          "give the address other nodes reach it at (option advertise, 'HOST:PORT')",
      );
    }
    return normaliseAddress({ host, port: bound.port });
  }
  if (isLoopbackHost(bound.host) && !isLoopbackHost(root.host)) {
    throw new PeerError(
      'ERR_PEER_NO_ADVERTISE_ADDRESS',
      `the peer listens on ${bound.host}, which the root ${root.host} and other peers cannot reach; ` +
        'listen on an address of this machine they can reach (or 0.0.0.0), or give the address ' +
        "they reach it at (option advertise, 'HOST:PORT')",
    );
  }
  return undefined;
}

/** Throws ERR_PEER_NO_ADVERTISE_ADDRESS for an address a node cannot name itself by (0.0.0.0). */
export function checkAdvertisable(address: Address): void {
  if (isWildcardHost(address.host)) {
    throw new PeerError(
      'ERR_PEER_NO_ADVERTISE_ADDRESS',
      `cannot advertise ${address.host}: it names every interface of a machine, not one other ` +
        "nodes can dial; give this machine's address they reach it at (option advertise, 'HOST:PORT')",
    );
  }
}

/**
 * The address a node listening on 0.0.0.0 with no advertised address names itself by where no
 * remote tells it which: the root, as the origin of its Messages (10.1.3), which must be one name
 * for the whole tree (each receiver's seen-set keys on it) whichever address each node dialled.
 * This machine's first external IPv4 address, the one nodes on other machines dial (and
 * `p2p root` suggests), with `port`; 127.0.0.1 on a machine that has none.
 */
export function machineAddress(
  port: number,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): Address {
  const external = Object.values(interfaces)
    .flatMap((infos) => infos ?? [])
    .find((info) => info.family === 'IPv4' && !info.internal);
  return normaliseAddress({ host: external?.address ?? '127.0.0.1', port });
}

/**
 * The local address the system picks to reach `remote`: connecting a UDP socket only consults the
 * routing table, nothing is sent, so it works whether or not the root is up yet.
 */
function interfaceTowards(remote: Address): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    // With a callback, a failed connect is reported to it, never as an 'error' event.
    socket.connect(remote.port, remote.host, (error?: Error) => {
      const host = error === undefined ? socket.address().address : undefined;
      socket.close();
      resolve(host);
    });
  });
}
