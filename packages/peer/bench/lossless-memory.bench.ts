/**
 * Heap cost of the lossless extension's state: per origin record, per cache entry (without and
 * with a 100-byte text), and per idle node (a `Lossless` with three lossless edges, nothing sent:
 * what the network benchmark's memory row sees after formation). Run with `pnpm bench` (or
 * `pnpm --filter @p2p/peer bench`). Each figure is the heap growth after a full collection,
 * divided by the count, the median of five rounds; counts are large enough that a page of
 * compiled code or array slack does not show (at 1,024 cache entries the figure varied 130–290).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ManualClock } from '../src/clock.js';
import { Lossless } from '../src/lossless/lossless.js';
import { cachedMessage, MessageCache } from '../src/lossless/message-cache.js';
import { OriginRecords } from '../src/lossless/origin-records.js';
import { fastTimings } from '../src/timings.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const addressOf = (i: number): string =>
  `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${6000 + (i % 1000)}`;
const EPOCH = 1_764_320_000_000;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** What the round being measured keeps alive, dropped before the next round's baseline. */
const kept: unknown[] = [];

/** Bytes per item kept alive by `build(count)`, the median of five rounds. */
function perItem(count: number, build: (count: number) => unknown): number {
  const samples: number[] = [];
  build(Math.min(count, 64)); // warm up: the compiled code would otherwise count in the first rounds
  for (let round = 0; round < 5; round++) {
    kept.length = 0;
    const before = heap();
    kept.push(build(count));
    samples.push((heap() - before) / count);
  }
  kept.length = 0;
  samples.sort((a, b) => a - b);
  return samples[2] as number;
}

function records(count: number): OriginRecords {
  const subject = new OriginRecords({
    clock: new ManualClock(),
    maxOrigins: count,
    forgetAfter: 1e9,
    gapTimeout: 1_000,
    deliver: () => {},
  });
  for (let i = 0; i < count; i++) {
    const origin = addressOf(i);
    subject.receive(cachedMessage(origin, EPOCH + i, 1 + (i % 50), 'origin', true, '', null));
  }
  return subject;
}

function cache(textBytes: number) {
  const origins = Array.from({ length: 64 }, (_, i) => addressOf(i));
  const neighbours = Array.from({ length: 3 }, (_, i) => addressOf(1_000 + i));
  return (count: number): MessageCache => {
    const subject = new MessageCache({
      clock: new ManualClock(),
      maxEntries: count,
      maxBytes: 1e12,
      maxAge: 1e9,
    });
    for (let i = 0; i < count; i++) {
      // A distinct flat text of `textBytes` ASCII bytes, as decoding a packet produces.
      const text = Buffer.from(`${i}`.padStart(textBytes, 'x').slice(0, textBytes)).toString(
        'utf8',
      );
      subject.add(
        cachedMessage(
          origins[i % 64] as string,
          EPOCH,
          i + 1,
          'origin',
          false,
          text,
          neighbours[i % 3] as string,
        ),
      );
    }
    return subject;
  };
}

function idleNodes(count: number): Lossless[] {
  const nodes: Lossless[] = [];
  const clock = new ManualClock(); // one for all, as every node of a process shares the system clock
  for (let i = 0; i < count; i++) {
    const node = new Lossless({
      self: addressOf(i),
      clock,
      timings: fastTimings,
      epoch: EPOCH,
      link: {
        neighbours: () => [],
        send() {},
        sendPlain() {},
        holdFull() {},
        deliver() {},
        renegotiate() {},
        setWindow() {},
      },
    });
    const parent = addressOf(100_000 + i);
    node.onParentNegotiating(parent);
    node.onParentAnswered(parent, { ids: 1, window: 32 });
    for (const child of [addressOf(200_000 + i), addressOf(300_000 + i)]) {
      node.onOffer(child, { ids: 1, window: 32 });
      node.onChildJoined(child);
    }
    nodes.push(node);
  }
  return nodes;
}

const rows: Array<[string, number]> = [
  ['origin record (1,023 origins)', perItem(1_023, records)],
  ['origin record (10,000 origins)', perItem(10_000, records)],
  ['cache entry, empty text (16,384 entries)', perItem(16_384, cache(0))],
  ['cache entry, 100-byte text (16,384 entries)', perItem(16_384, cache(100))],
  [
    'idle node: Lossless with 3 lossless edges, nothing sent (1,023 nodes)',
    perItem(1_023, idleNodes),
  ],
];
console.info(`Node ${process.version}, heap bytes per item (median of 5 rounds):`);
for (const [what, bytes] of rows)
  console.info(`  ${what.padEnd(72)} ${bytes.toFixed(1).padStart(8)}`);
