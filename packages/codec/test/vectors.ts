import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The golden vectors are repository data, in test-data/vectors at the root (see its README). */
const dir = fileURLToPath(new URL('../../../test-data/vectors/', import.meta.url));

export interface GoldenVector {
  name: string;
  framing: 'binary' | 'text';
  hex: string;
  version: number;
  type: number;
  length: number;
  sourceIp: string;
  sourcePort: number;
  body: string;
}

export interface InvalidVector {
  name: string;
  framing: 'binary' | 'text';
  level: 'header' | 'body';
  hex: string;
  why: string;
  /** The CodecError code it must give (the extension's vectors have one). */
  code?: string;
}

export interface QuirkVector {
  name: string;
  hex: string;
  intendedText: string;
}

export function loadVectors<T>(file: string): T[] {
  return JSON.parse(readFileSync(dir + file, 'utf8')) as T[];
}

export const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
