import { CodecError } from './errors.js';

/** A node's server address: IPv4 in plain dotted form (`'127.0.0.1'`) and a TCP port. */
export interface Address {
  host: string;
  port: number;
}

/** Characters of an entry: a 15-character IP then a 5-character port (protocol.md section 1). */
export const ENTRY_LENGTH = 20;

const DOT = 0x2e;
const ZERO = 0x30;

function digit(bytes: Uint8Array, at: number): number {
  const d = (bytes[at] ?? 0) - ZERO;
  return d >= 0 && d <= 9 ? d : -1;
}

const hostCache = new Map<number, string>();
const HOST_CACHE_LIMIT = 4096;

/**
 * The dotted form of four octets. Formatting numbers is the slowest step of decoding a header,
 * and a node hears from few distinct hosts, so recent hosts are kept (bounded).
 */
export function hostOf(a: number, b: number, c: number, d: number): string {
  const key = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  let host = hostCache.get(key);
  if (host === undefined) {
    if (hostCache.size >= HOST_CACHE_LIMIT) hostCache.clear();
    host = `${a}.${b}.${c}.${d}`;
    hostCache.set(key, host);
  }
  return host;
}

/** Reads `count` decimal digits at `at`; -1 if any is not a digit. */
export function readDigits(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const d = digit(bytes, at + i);
    if (d < 0) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Reads a fixed-width IP (`192.168.001.029`) at `at` and returns it in plain dotted form,
 * or undefined when it is malformed (not digits, wrong separators, an octet above 255).
 */
export function readFixedIp(bytes: Uint8Array, at: number): string | undefined {
  const a = readDigits(bytes, at, 3);
  const b = readDigits(bytes, at + 4, 3);
  const c = readDigits(bytes, at + 8, 3);
  const d = readDigits(bytes, at + 12, 3);
  if (bytes[at + 3] !== DOT || bytes[at + 7] !== DOT || bytes[at + 11] !== DOT) return undefined;
  if (a < 0 || b < 0 || c < 0 || d < 0 || a > 255 || b > 255 || c > 255 || d > 255) {
    return undefined;
  }
  return hostOf(a, b, c, d);
}

/** Reads a 20-character entry at `at`, throwing ERR_CODEC_ADDRESS when it is malformed. */
export function readEntry(bytes: Uint8Array, at: number): Address {
  const host = readFixedIp(bytes, at);
  const port = readDigits(bytes, at + 15, 5);
  if (host === undefined || port < 0 || port > 65535) {
    throw new CodecError('ERR_CODEC_ADDRESS', `malformed address entry at body offset ${at}`);
  }
  return { host, port };
}

/** The four octets of a dotted IPv4 host (1-3 decimal digits each), or undefined. */
function octetsOf(host: string): number[] | undefined {
  if (typeof host !== 'string') return undefined;
  const octets: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= host.length; i++) {
    const code = i === host.length ? 0x2e : host.charCodeAt(i);
    if (code === 0x2e) {
      // Leading zeros are decimal padding, never octal.
      if (digits === 0 || value > 255 || octets.length === 4) return undefined;
      octets.push(value);
      value = 0;
      digits = 0;
    } else if (code >= 0x30 && code <= 0x39 && digits < 3) {
      value = value * 10 + (code - 0x30);
      digits++;
    } else {
      return undefined;
    }
  }
  return octets.length === 4 ? octets : undefined;
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

/** Returns the address with its host in plain dotted form (`127.000.000.001` → `127.0.0.1`). */
export function normaliseAddress(address: Address): Address {
  const octets = octetsOf(address.host);
  if (octets === undefined || !isPort(address.port)) {
    throw new CodecError(
      'ERR_CODEC_ADDRESS',
      `invalid address ${address.host}:${address.port}: expected an IPv4 address and a port 0-65535`,
    );
  }
  return { host: octets.join('.'), port: address.port };
}

/**
 * Parses `'HOST:PORT'` where HOST is an IPv4 address (plain or zero-padded) or `localhost`.
 * Throws a CodecError with code ERR_CODEC_ADDRESS, saying what was wrong, otherwise.
 */
export function parseAddress(text: string): Address {
  const colon = text.lastIndexOf(':');
  const hostText = colon < 0 ? '' : text.slice(0, colon);
  const portText = colon < 0 ? '' : text.slice(colon + 1);
  if (colon < 0 || !/^[0-9]{1,5}$/.test(portText)) {
    throw new CodecError(
      'ERR_CODEC_ADDRESS',
      `invalid address "${text}": expected HOST:PORT, e.g. 127.0.0.1:5353`,
    );
  }
  const host = hostText === 'localhost' ? '127.0.0.1' : hostText;
  return normaliseAddress({ host, port: Number.parseInt(portText, 10) });
}

/**
 * True for a loopback host (127.0.0.0/8, `localhost`, `::1`, also IPv4-mapped): only this machine
 * reaches a node there.
 */
export function isLoopbackHost(host: string): boolean {
  const plain = plainHost(host);
  return plain === 'localhost' || plain === '::1' || octetsOf(plain)?.[0] === 127;
}

/**
 * True for a wildcard host (`0.0.0.0`, `::`): a server bound to every interface. Nobody can send
 * to it, so a node never names itself by it.
 */
export function isWildcardHost(host: string): boolean {
  const plain = plainHost(host);
  return (
    plain === '::' || plain === '::0' || octetsOf(plain)?.every((octet) => octet === 0) === true
  );
}

/**
 * A socket's host as the protocol names it: an IPv4-mapped IPv6 address (`::ffff:10.0.0.7`, what
 * a dual-stack server reports) as its IPv4 address; any other host unchanged.
 */
export function plainHost(host: string): string {
  return host.startsWith('::ffff:') ? host.slice(7) : host;
}

/** Formats an address as `'HOST:PORT'` with the host in plain dotted form. */
export function formatAddress(address: Address): string {
  return `${address.host}:${address.port}`;
}

/** True when both name the same node (hosts compared after normalisation). */
export function sameAddress(a: Address, b: Address): boolean {
  if (a.port !== b.port) return false;
  if (a.host === b.host) return true;
  const x = octetsOf(a.host);
  const y = octetsOf(b.host);
  return x !== undefined && y !== undefined && x.every((octet, i) => octet === y[i]);
}

/** The fixed-width 20-character entry of an address: `127.000.000.001` + `05353`. */
export function formatEntry(address: Address): string {
  const [a, b, c, d] = octetsOfAddress(address) as [number, number, number, number];
  return `${pad3(a)}.${pad3(b)}.${pad3(c)}.${pad3(d)}${String(address.port).padStart(5, '0')}`;
}

function pad3(octet: number): string {
  return octet >= 100 ? String(octet) : octet >= 10 ? `0${octet}` : `00${octet}`;
}

const octetCache = new Map<string, readonly number[]>();

/** The four octets of a valid address, for headers and entries. Recent hosts are kept (bounded). */
export function octetsOfAddress(address: Address): readonly number[] {
  let octets = octetCache.get(address.host);
  if (octets === undefined) {
    octets = octetsOf(address.host);
    if (octets !== undefined) {
      if (octetCache.size >= HOST_CACHE_LIMIT) octetCache.clear();
      octetCache.set(address.host, octets);
    }
  }
  if (octets === undefined || !isPort(address.port)) {
    throw new CodecError(
      'ERR_CODEC_INVALID_PACKET',
      `cannot encode address ${formatAddress(address)}`,
    );
  }
  return octets;
}

/** Writes `value` as `width` decimal digits, zero-padded, at `at`. */
export function writeDigits(bytes: Uint8Array, at: number, value: number, width: number): void {
  for (let i = width - 1; i >= 0; i--) {
    bytes[at + i] = 0x30 + (value % 10);
    value = (value / 10) | 0;
  }
}

/** Writes the 20-byte fixed-width entry of `address` at `at`, without building a string. */
export function writeEntry(bytes: Uint8Array, at: number, address: Address): void {
  const octets = octetsOfAddress(address);
  for (let i = 0; i < 4; i++) {
    writeDigits(bytes, at + 4 * i, octets[i] as number, 3);
    if (i < 3) bytes[at + 4 * i + 3] = DOT;
  }
  writeDigits(bytes, at + 15, address.port, 5);
}
