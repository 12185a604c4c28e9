import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runP2p } from './processes.js';

/** The golden vectors are repository data: test-data/vectors at the root. */
const vectors = fileURLToPath(new URL('../../../test-data/vectors/', import.meta.url));
interface Vector {
  name: string;
  hex: string;
  framing: string;
  sourceIp: string;
  sourcePort: number;
  body: string;
  type: number;
}
const load = (file: string) => JSON.parse(readFileSync(join(vectors, file), 'utf8')) as Vector[];
const plain = (ip: string) =>
  ip
    .split('.')
    .map((o) => Number(o))
    .join('.');

describe('p2p decode', () => {
  const golden = [...load('binary.json'), ...load('text.json')];

  it('prints every golden vector of both framings with its fields', async () => {
    for (const vector of golden.filter((v) =>
      ['message', 'register_req', 'reunion_req_3', 'advertise_res'].includes(v.name),
    )) {
      const { code, stdout } = await runP2p(['decode', vector.hex]);
      expect(code).toBe(0);
      const packet = JSON.parse(stdout) as Record<string, unknown>;
      expect(packet.framing).toBe(vector.framing);
      expect(packet.source).toBe(`${plain(vector.sourceIp)}:${vector.sourcePort}`);
      if (vector.type === 4) expect(packet.text).toBe(vector.body);
      if (vector.name === 'reunion_req_3') expect(packet.path).toHaveLength(3);
      if (vector.name === 'advertise_res') expect(packet.parent).toBe('127.0.0.1:6501');
    }
  });

  it('shows the packets of the lossless extension with their fields', async () => {
    const names = ['capabilities_offer', 'identified_message_gateway', 'digest'];
    const hex = names.map((name) => golden.find((v) => v.name === name)?.hex ?? '').join('');
    const { code, stdout } = await runP2p(['decode', hex]);
    expect(code).toBe(0);
    const [offer, identified, digest] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(offer).toMatchObject({
      kind: 'capabilities-offer',
      capabilities: { ids: 1, window: 32 },
    });
    expect(identified).toMatchObject({
      kind: 'identified-message',
      author: 'gateway',
      start: false,
      origin: '10.0.0.7:6502',
      epoch: 1764320000123,
      seq: 42,
      text: 'café ✓',
    });
    expect(digest).toMatchObject({
      kind: 'digest',
      fresh: false,
      entries: [
        { origin: '127.0.0.1:40001', epoch: 1764320000000, hwm: 17 },
        { origin: '192.168.1.29:6500', epoch: 1764320000999, hwm: 0 },
      ],
    });
  });

  it('reads hex from standard input and a capture of many frames from a file', async () => {
    const all = golden.map((v) => v.hex).join('');
    const fromStdin = await runP2p(['decode'], all.match(/.{1,64}/g)?.join('\n'));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout.trim().split('\n')).toHaveLength(golden.length);
    const dir = mkdtempSync(join(tmpdir(), 'p2p-capture-'));
    const file = join(dir, 'capture.bin');
    writeFileSync(file, Buffer.from(all, 'hex'));
    const fromFile = await runP2p(['decode', '--file', file]).finally(() =>
      rmSync(dir, { recursive: true }),
    );
    expect(
      fromFile.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { kind: string }).kind),
    ).toEqual(
      golden.map(
        (v) =>
          (
            JSON.parse(fromStdin.stdout.trim().split('\n')[golden.indexOf(v)] ?? '{}') as {
              kind: string;
            }
          ).kind,
      ),
    );
  });

  it('reports a malformed frame with the codec error code and the offset, after the good frames', async () => {
    const good = golden[0]?.hex ?? '';
    const { code, stdout, stderr } = await runP2p([
      'decode',
      `${good}0002000100000006007f000000000001000014e952455341434b`,
    ]);
    expect(code).toBe(1);
    // The good frame is printed, as it is alone, before the error.
    expect(stdout).toBe((await runP2p(['decode', good])).stdout);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`byte offset ${good.length / 2}: ERR_CODEC_VERSION`);
  });
});
