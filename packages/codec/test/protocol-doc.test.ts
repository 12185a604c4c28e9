import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode, encode, type Packet } from '../src/index.js';
import { toHex } from './vectors.js';

/** docs/protocol.md, whose worked examples must stay what the codec writes. */
const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

const example: Packet = {
  kind: 'message',
  source: { host: '10.0.0.7', port: 6502 },
  text: 'hi there',
};

describe('the examples of docs/protocol.md', () => {
  it('the binary example (2.1) is the bytes we write, field by field', () => {
    const block = /### 2\.1[\s\S]*?```\n([0-9a-f ]+)\n/.exec(doc)?.[1];
    expect(block, 'the hex line of the binary example').toBeDefined();
    const hex = (block ?? '').replaceAll(' ', '');
    expect(hex).toBe(toHex(encode(example, 'binary')));
    expect(decode(Buffer.from(hex, 'hex')).packet).toEqual(example);
  });

  it('the text example (2.2) is the text we write', () => {
    const text = /The same Message in the text framing: `([^`]+)`/.exec(doc)?.[1];
    expect(text).toBe(Buffer.from(encode(example, 'text')).toString('latin1'));
  });
});
