/**
 * Forwarding a Message: re-sourcing its frame (parse the header, check the body is UTF-8, write a
 * new header, copy the body) against decoding it to a packet and encoding that packet again with
 * the new source; and the re-sourcing alone, for a frame already read. A 1 KB text, per frame,
 * medians. Run with `pnpm bench`.
 */
import { Bench } from 'tinybench';
import { decode, decodeFrame, encode, type Framing } from '../src/index.js';

const origin = { host: '192.168.1.29', port: 6500 };
const forwarder = { host: '10.0.0.7', port: 6502 };
// Mostly ASCII with some two-byte characters, as chat text is: 1,024 bytes of UTF-8.
const text = `${'forwarded along the tree, '.repeat(38)}éèàü${'x'.repeat(28)}`;
const BATCH = 64;

const bench = new Bench({ time: 600, warmupTime: 150 });
let sink = 0;
const pairs: Array<[Framing, Framing]> = [
  ['binary', 'binary'],
  ['text', 'text'],
  ['binary', 'text'],
];
for (const [from, to] of pairs) {
  const frame = encode({ kind: 'message', source: origin, text }, from);
  const label = `${from} → ${to}`;
  const view = decodeFrame(frame);
  bench
    .add(`${label} | header only`, () => {
      // What forwarding adds once the frame has been read (the stream reads it anyway).
      for (let i = 0; i < BATCH; i++) sink += view.withSource(forwarder).bytes(to).length;
    })
    .add(`${label} | re-source`, () => {
      for (let i = 0; i < BATCH; i++)
        sink += decodeFrame(frame).withSource(forwarder).bytes(to).length;
    })
    .add(`${label} | decode + encode`, () => {
      for (let i = 0; i < BATCH; i++) {
        const { packet } = decode(frame);
        sink += encode({ ...packet, source: forwarder }, to).length;
      }
    });
}

await bench.run();

const medianNs = (name: string): number => {
  const task = bench.getTask(name);
  const latency = task?.result && 'latency' in task.result ? task.result.latency : undefined;
  if (!latency) throw new Error(`no result for ${name}`);
  return (latency.p50 * 1e6) / BATCH;
};

console.table(
  pairs.map(([from, to]) => {
    const label = `${from} → ${to}`;
    const header = medianNs(`${label} | header only`);
    const resource = medianNs(`${label} | re-source`);
    const recode = medianNs(`${label} | decode + encode`);
    return {
      'Message 1 KB': label,
      'withSource().bytes() ns': header.toFixed(0),
      'decodeFrame + re-source ns': resource.toFixed(0),
      'decode + encode ns': recode.toFixed(0),
      'decode + encode / re-source': `${(recode / resource).toFixed(1)}x`,
    };
  }),
);
console.log(
  `(sink ${sink > 0 ? 'ok' : 'empty'}; Node ${process.version}; ${Buffer.byteLength(text)} bytes of text)`,
);
