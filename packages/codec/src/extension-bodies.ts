import {
  type Address,
  ENTRY_LENGTH,
  formatEntry,
  readDigits,
  readEntry,
  writeEntry,
} from './address.js';
import { CodecError } from './errors.js';
import {
  type CapabilitiesPacket,
  type DigestEntry,
  type DigestPacket,
  type IdentifiedMessagePacket,
  KNOWN_CAPABILITIES,
  MAX_DIGEST_ENTRIES,
  type MessageIdentity,
} from './packet.js';

/*
 * The bodies of the lossless extension's packets (docs/protocol.md 10.1.1): Capabilities (7),
 * the identifier prefix of an Identified Message (8) and the Digest (9). Every field is ASCII and
 * read strictly, as the bodies of version 1 are.
 */

/** Bytes before an Identified Message's text: author, continuity, origin, epoch, sequence number. */
export const IDENTITY_LENGTH = 47;
/** A Capabilities body is at most this long. */
export const MAX_CAPABILITIES_LENGTH = 200;
/** Bytes of one Digest entry: origin, epoch, high-water mark. */
const DIGEST_ENTRY_LENGTH = 45;
const EPOCH_DIGITS = 13;
const SEQ_DIGITS = 12;
const MAX_EPOCH = 10 ** EPOCH_DIGITS - 1;
const MAX_SEQ = 10 ** SEQ_DIGITS - 1;
const MAX_VALUE = 999_999_999;

const SPACE = 0x20;
const EQUALS = 0x3d;
const O = 0x4f;
const G = 0x47;
const C = 0x43;
const S = 0x53;
const F = 0x46;
const D = 0x44;

function bodyError(message: string): CodecError {
  return new CodecError('ERR_CODEC_BODY', message);
}

function invalid(message: string): CodecError {
  return new CodecError('ERR_CODEC_INVALID_PACKET', message);
}

function isLowercase(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x61 && byte <= 0x7a;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/** `REQ` → offer, `RES` → answer, at bytes[start]; undefined for anything else. */
function capabilitiesKind(
  bytes: Uint8Array,
  start: number,
): CapabilitiesPacket['kind'] | undefined {
  if (bytes[start] !== 0x52 || bytes[start + 1] !== 0x45) return undefined;
  if (bytes[start + 2] === 0x51) return 'capabilities-offer';
  if (bytes[start + 2] === S) return 'capabilities-answer';
  return undefined;
}

/**
 * A Capabilities body: `REQ` or `RES`, then one or more ` name=value` (lowercase name, 1 to 9
 * digits), at most 200 bytes, no name twice. Names this codec does not know are skipped.
 */
export function decodeCapabilities(
  bytes: Uint8Array,
  start: number,
  end: number,
  source: Address,
): CapabilitiesPacket {
  if (end - start > MAX_CAPABILITIES_LENGTH)
    throw bodyError(`Capabilities body is ${end - start} bytes; at most 200`);
  const kind = end - start >= 3 ? capabilitiesKind(bytes, start) : undefined;
  if (kind === undefined) throw bodyError('Capabilities body must start with REQ or RES');
  if (end - start === 3) throw bodyError('Capabilities body needs at least one name=value token');
  const capabilities: Record<string, number> = {};
  const seen = new Set<string>();
  let at = start + 3;
  while (at < end) {
    if (bytes[at] !== SPACE) throw bodyError('Capabilities tokens must each follow one space');
    const nameStart = ++at;
    while (at < end && isLowercase(bytes[at])) at++;
    if (at === nameStart || at >= end || bytes[at] !== EQUALS)
      throw bodyError('a Capabilities token must be a lowercase name, "=" and a value');
    const name = String.fromCharCode(...bytes.subarray(nameStart, at));
    const valueStart = ++at;
    while (at < end && isDigit(bytes[at])) at++;
    const digits = at - valueStart;
    if (digits < 1 || digits > 9) throw bodyError(`capability ${name} needs 1 to 9 decimal digits`);
    if (at < end && bytes[at] !== SPACE) throw bodyError(`capability ${name} has a non-digit`);
    if (seen.has(name)) throw bodyError(`capability ${name} appears twice`);
    seen.add(name);
    if (KNOWN_CAPABILITIES.includes(name))
      capabilities[name] = readDigits(bytes, valueStart, digits);
  }
  return { kind, source, capabilities };
}

/** The body of a Capabilities packet, checked against the grammar decoding enforces. */
export function capabilitiesBody(packet: CapabilitiesPacket): string {
  const { capabilities } = packet;
  if (capabilities === null || typeof capabilities !== 'object')
    throw invalid('Capabilities need a capabilities object');
  let body = packet.kind === 'capabilities-offer' ? 'REQ' : 'RES';
  for (const [name, value] of Object.entries(capabilities)) {
    if (!/^[a-z]+$/.test(name)) throw invalid(`capability name ${name} must be lowercase letters`);
    if (!Number.isInteger(value) || value < 0 || value > MAX_VALUE)
      throw invalid(`capability ${name} must be an integer from 0 to ${MAX_VALUE}`);
    body += ` ${name}=${value}`;
  }
  if (body.length === 3) throw invalid('Capabilities need at least one capability');
  if (body.length > MAX_CAPABILITIES_LENGTH)
    throw invalid(`a Capabilities body holds at most ${MAX_CAPABILITIES_LENGTH} bytes`);
  return body;
}

/** The 47-byte prefix of an Identified Message at bytes[start, end): everything but the text. */
export function readIdentity(bytes: Uint8Array, start: number, end: number): MessageIdentity {
  if (end - start < IDENTITY_LENGTH)
    throw bodyError('Identified Message body must hold a 47-byte identifier before the text');
  const a = bytes[start];
  if (a !== O && a !== G) throw bodyError('Identified Message author flag must be O or G');
  const c = bytes[start + 1];
  if (c !== C && c !== S) throw bodyError('Identified Message continuity flag must be C or S');
  const origin = readEntry(bytes, start + 2);
  const epoch = readDigits(bytes, start + 22, EPOCH_DIGITS);
  if (epoch < 0) throw bodyError('Identified Message epoch must be 13 decimal digits');
  const seq = readDigits(bytes, start + 35, SEQ_DIGITS);
  if (seq < 1) throw bodyError('Identified Message sequence number must be 12 digits, not 0');
  return { author: a === O ? 'origin' : 'gateway', start: c === S, origin, epoch, seq };
}

/** Writes `value` as `width` digits; unlike the header's writer, exact beyond 32 bits (epochs). */
function writeWideDigits(bytes: Uint8Array, at: number, value: number, width: number): void {
  for (let i = width - 1; i >= 0; i--) {
    bytes[at + i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
}

function checkNumber(what: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(`${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
}

/** The ASCII prefix of an Identified Message's body (its text follows). */
export function identityPrefix(packet: IdentifiedMessagePacket): string {
  if (packet.author !== 'origin' && packet.author !== 'gateway')
    throw invalid("Identified Message author must be 'origin' or 'gateway'");
  if (typeof packet.start !== 'boolean') throw invalid('Identified Message start must be boolean');
  checkNumber('Identified Message epoch', packet.epoch, 0, MAX_EPOCH);
  checkNumber('Identified Message seq', packet.seq, 1, MAX_SEQ);
  if (typeof packet.text !== 'string') throw invalid('Identified Message text must be a string');
  return (
    (packet.author === 'origin' ? 'O' : 'G') +
    (packet.start ? 'S' : 'C') +
    formatEntry(packet.origin) +
    String(packet.epoch).padStart(EPOCH_DIGITS, '0') +
    String(packet.seq).padStart(SEQ_DIGITS, '0')
  );
}

/** A Digest body: `F` or `D`, a 4-digit count up to 1,400, that many 45-byte entries. */
export function decodeDigest(
  bytes: Uint8Array,
  start: number,
  end: number,
  source: Address,
): DigestPacket {
  const flag = bytes[start];
  if (end - start < 5 || (flag !== F && flag !== D))
    throw bodyError('Digest body must be F or D, a 4-digit count, then the entries');
  const count = readDigits(bytes, start + 1, 4);
  if (count < 0 || count > MAX_DIGEST_ENTRIES)
    throw bodyError(`Digest count must be 4 digits from 0000 to ${MAX_DIGEST_ENTRIES}`);
  if (end - start !== 5 + count * DIGEST_ENTRY_LENGTH) {
    throw bodyError(
      `Digest count says ${count} entries (${5 + count * DIGEST_ENTRY_LENGTH} bytes) but the body has ${end - start} bytes`,
    );
  }
  const entries: DigestEntry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = start + 5 + i * DIGEST_ENTRY_LENGTH;
    const origin = readEntry(bytes, at);
    const epoch = readDigits(bytes, at + ENTRY_LENGTH, EPOCH_DIGITS);
    const hwm = readDigits(bytes, at + ENTRY_LENGTH + EPOCH_DIGITS, SEQ_DIGITS);
    if (epoch < 0 || hwm < 0)
      throw bodyError(`Digest entry ${i}: epoch and high-water mark must be decimal digits`);
    entries[i] = { origin, epoch, hwm };
  }
  return { kind: 'digest', source, fresh: flag === F, entries };
}

/** The length of a Digest body, checking every entry (a Digest can be 63 KB: no strings built). */
export function digestBodyLength(packet: DigestPacket): number {
  const { entries } = packet;
  if (!Array.isArray(entries) || entries.length > MAX_DIGEST_ENTRIES)
    throw invalid(`a Digest carries 0 to ${MAX_DIGEST_ENTRIES} entries`);
  if (typeof packet.fresh !== 'boolean') throw invalid('Digest fresh must be boolean');
  for (const entry of entries) {
    checkNumber('Digest entry epoch', entry?.epoch, 0, MAX_EPOCH);
    checkNumber('Digest entry hwm', entry.hwm, 0, MAX_SEQ);
  }
  return 5 + entries.length * DIGEST_ENTRY_LENGTH;
}

/** Writes a Digest body at `at`, byte by byte (entries checked by {@link digestBodyLength}). */
export function writeDigestBody(frame: Uint8Array, at: number, packet: DigestPacket): void {
  frame[at] = packet.fresh ? F : D;
  writeWideDigits(frame, at + 1, packet.entries.length, 4);
  for (let i = 0; i < packet.entries.length; i++) {
    const entry = packet.entries[i] as DigestEntry;
    const entryAt = at + 5 + i * DIGEST_ENTRY_LENGTH;
    writeEntry(frame, entryAt, entry.origin);
    writeWideDigits(frame, entryAt + ENTRY_LENGTH, entry.epoch, EPOCH_DIGITS);
    writeWideDigits(frame, entryAt + ENTRY_LENGTH + EPOCH_DIGITS, entry.hwm, SEQ_DIGITS);
  }
}
