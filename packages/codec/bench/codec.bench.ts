/**
 * Encode and decode throughput of the codec, beside a plain copy of the same bytes (the speed of
 * memory) measured in the same run. Run with `pnpm bench` (or `pnpm --filter @p2p/codec bench`).
 */
import { Bench } from 'tinybench';
import { decode, encode, FrameDecoder, type Framing, type Packet } from '../src/index.js';

const source = { host: '192.168.1.29', port: 6500 };
const cases: Array<{ name: string; packet: Packet }> = [
  { name: 'Message 100 B', packet: { kind: 'message', source, text: 'x'.repeat(100) } },
  {
    name: 'Reunion hello 8',
    packet: {
      kind: 'reunion-hello',
      source,
      path: Array.from({ length: 8 }, (_, i) => ({ host: `10.0.${i}.1`, port: 6500 + i })),
    },
  },
];

const bench = new Bench({ time: 400, warmupTime: 100 });
const sizes = new Map<string, number>();
let sink = 0;

for (const { name, packet } of cases) {
  for (const framing of ['binary', 'text'] as Framing[]) {
    const frame = encode(packet, framing);
    const label = `${name} ${framing}`;
    sizes.set(label, frame.length);
    const copyTarget = new Uint8Array(frame.length);
    // A batch of 64 frames per iteration so the timer's overhead does not dominate.
    const batch = Buffer.concat(Array.from({ length: 64 }, () => frame));
    const decoder = new FrameDecoder();
    bench
      .add(`${label} | copy`, () => {
        for (let i = 0; i < 64; i++) {
          copyTarget.set(frame);
          sink += copyTarget[0] as number;
        }
      })
      .add(`${label} | encode`, () => {
        for (let i = 0; i < 64; i++) sink += encode(packet, framing).length;
      })
      .add(`${label} | decode`, () => {
        for (let i = 0; i < 64; i++) sink += decode(frame).packet.source.port;
      })
      .add(`${label} | FrameDecoder`, () => {
        sink += decoder.push(batch).length;
      });
  }
}

await bench.run();

const medianNs = (name: string): number => {
  const task = bench.getTask(name);
  const latency = task?.result && 'latency' in task.result ? task.result.latency : undefined;
  if (!latency) throw new Error(`no result for ${name}`);
  return (latency.p50 * 1e6) / 64; // per frame
};

const rows = [];
for (const label of sizes.keys()) {
  const copy = medianNs(`${label} | copy`);
  for (const op of ['encode', 'decode', 'FrameDecoder']) {
    const ns = medianNs(`${label} | ${op}`);
    const bytes = sizes.get(label) ?? 0;
    rows.push({
      frame: label,
      op,
      'ns/frame (median)': ns.toFixed(0),
      'packets/s': Math.round(1e9 / ns).toLocaleString('en-US'),
      'MB/s': ((bytes * 1e3) / ns).toFixed(1),
      'copy ns': copy.toFixed(0),
      'x copy': (ns / copy).toFixed(1),
    });
  }
}
console.table(rows);
console.log(
  `(sink ${sink > 0 ? 'ok' : 'empty'}; Node ${process.version}; goal: decode of a 100-byte Message within 10x of copying it)`,
);
