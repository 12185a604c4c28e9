import { type Address, isWildcardHost, normaliseAddress, parseAddress } from '@p2p/codec';
import { RootError } from './errors.js';

const EXPECTED = "give the address peers reach the root at, 'HOST:PORT' (e.g. 203.0.113.5:5353)";

/**
 * The root's `advertise` option, checked before anything is opened: the address it names itself
 * by ('HOST:PORT' or an Address; port 0 stands for the listening port). Throws RootError
 * ERR_ROOT_INVALID_OPTION for what is not an IPv4 address and port, or names no machine (0.0.0.0).
 */
export function advertiseOption(value: string | Address | undefined): Address | undefined {
  if (value === undefined) return undefined;
  let address: Address;
  try {
    address = typeof value === 'string' ? parseAddress(value) : normaliseAddress(value);
  } catch (error) {
    throw new RootError(
      'ERR_ROOT_INVALID_OPTION',
      `invalid advertise address: ${(error as Error).message}; ${EXPECTED}`,
      { cause: error },
    );
  }
  if (isWildcardHost(address.host)) {
    throw new RootError(
      'ERR_ROOT_INVALID_OPTION',
      `cannot advertise ${address.host}: it names every interface of a machine, not one peers can dial; ${EXPECTED}`,
    );
  }
  return address;
}

/** The advertised address with its port 0 replaced by the port the root listens on. */
export function withListeningPort(advertise: Address, listening: Address): Address {
  return advertise.port === 0 ? { host: advertise.host, port: listening.port } : advertise;
}
