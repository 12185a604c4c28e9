import { readFile } from 'node:fs/promises';
import { CodecError, FrameDecoder } from '@p2p/codec';
import { CliError, usageError } from '../errors.js';
import { frameToJson } from '../packet-json.js';

export interface DecodeOptions {
  file?: string;
  maxBody?: number;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Hex as people paste it: spaces, newlines, colons and a 0x prefix are allowed. */
export function parseHex(text: string): Uint8Array {
  const hex = text.replace(/0x/gi, '').replace(/[\s:]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(hex)) {
    const bad = hex.match(/[^0-9a-fA-F]/)?.[0] ?? '';
    throw usageError(
      `not hex: found ${JSON.stringify(bad)}; give the frame as hex digits, e.g. 0001000400000005...`,
    );
  }
  if (hex.length % 2 !== 0)
    throw usageError(`odd number of hex digits (${hex.length}): a byte is two digits`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/**
 * `p2p decode`: prints each packet of a capture as a JSON line. Input: hex as an argument or on
 * standard input, or raw captured bytes from --file.
 */
export async function decodeCommand(
  hexArgument: string | undefined,
  options: DecodeOptions,
): Promise<void> {
  let bytes: Uint8Array;
  if (options.file !== undefined) {
    if (hexArgument !== undefined) throw usageError('give either hex or --file, not both');
    bytes = await readFile(options.file).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(
        'ERR_CLI_INPUT',
        `cannot read ${options.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
      );
    });
  } else if (hexArgument !== undefined) {
    bytes = parseHex(hexArgument);
  } else if (!process.stdin.isTTY) {
    bytes = parseHex(await readStdin());
  } else {
    throw usageError(
      'nothing to decode: give hex as an argument, pipe it on standard input, or use --file',
    );
  }
  if (bytes.length === 0) throw usageError('nothing to decode: the input is empty');
  const decoder = new FrameDecoder(
    options.maxBody === undefined ? {} : { maxBodySize: options.maxBody },
  );
  const print = (frames: Parameters<typeof frameToJson>[0][]) => {
    for (const frame of frames) process.stdout.write(`${JSON.stringify(frameToJson(frame))}\n`);
  };
  try {
    print(decoder.push(bytes));
    decoder.end();
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    print([...error.frames]);
    throw new CliError(
      'ERR_CLI_INPUT',
      `malformed frame at byte offset ${error.offset ?? 0}: ${error.code}: ${error.message}`,
    );
  }
}
