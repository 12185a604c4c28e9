import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { formatAddress, isWildcardHost, parseAddress } from '@p2p/codec';

/**
 * The addresses to dial a server listening on `listening` ('HOST:PORT') at: the address itself,
 * or for a wildcard (0.0.0.0, which nobody can dial) 127.0.0.1 from this machine and this
 * machine's IPv4 addresses from others.
 */
export function dialAddresses(
  listening: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string[] {
  const { host, port } = parseAddress(listening);
  if (!isWildcardHost(host)) return [listening];
  const external = Object.values(interfaces)
    .flatMap((infos) => infos ?? [])
    .filter((info) => info.family === 'IPv4' && !info.internal)
    .map((info) => formatAddress({ host: info.address, port }));
  return [formatAddress({ host: '127.0.0.1', port }), ...new Set(external)];
}

/** The human note for a server on a wildcard address: what to dial instead; '' otherwise. */
export function dialNote(listening: string, dial: readonly string[]): string {
  if (dial.length === 1 && dial[0] === listening) return '';
  const [local, ...others] = dial;
  return others.length === 0
    ? ` (dial ${local} from this machine, or this machine's address from others)`
    : ` (dial ${local} from this machine, ${others.join(' or ')} from others)`;
}
