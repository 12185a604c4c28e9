/**
 * Packets per second and send-to-ACK latency of StreamNode for 100-byte Messages over one loopback
 * connection, in lock-step (window 1) and with a window of 16, beside a raw `node:net` exchange of
 * the same bytes measured in the same run: a raw client writing the same encoded frame and waiting
 * for the 3-byte ACK of a raw server that finds frames by their length.
 *
 * The receiving side (a StreamNode and the raw server) runs in a child process, as a remote node
 * would; the sending side runs here. Variants are interleaved round by round so that a change in the
 * machine's load hits both alike; the table shows medians over the rounds.
 *
 * Run with `pnpm bench` (or `pnpm --filter @p2p/stream bench`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type Address, encode, type Packet } from '@p2p/codec';
import { StreamNode } from '../src/index.js';

const ROUNDS = 5;
const ROUND_MS = 1_200;
const WARMUP_MS = 400;
const WINDOW = 16;
const TEXT = 'x'.repeat(100);
const MAX_SAMPLES = 2_000_000;

interface Addresses {
  node: Address;
  raw: Address;
}

// ---------------------------------------------------------------- receiving side (child process)

/** A raw server that acknowledges every frame, finding frames by the binary header's length. */
function startRawServer(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let held = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      let bytes = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      let frames = 0;
      let at = 0;
      while (bytes.length - at >= 20) {
        const end = at + 20 + bytes.readUInt32BE(at + 4);
        if (end > bytes.length) break;
        frames++;
        at = end;
      }
      bytes = bytes.subarray(at);
      held = bytes.length === 0 ? held.subarray(0, 0) : Buffer.from(bytes);
      if (frames > 0) socket.write('ACK'.repeat(frames));
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function serve(): Promise<void> {
  const node = await StreamNode.listen({ listen: '127.0.0.1:0' });
  // A listener, as an application would have one.
  let unexpected = 0;
  node.on('packet', ({ packet }) => {
    if (packet.kind !== 'message') unexpected++;
  });
  const raw = await startRawServer();
  const { port } = raw.address() as net.AddressInfo;
  process.send?.({ node: node.address, raw: { host: '127.0.0.1', port } } satisfies Addresses);
  process.on('disconnect', () => {
    if (unexpected > 0) console.error(`receiving node: ${unexpected} packets were not Messages`);
    void node.close().then(() => raw.close(() => process.exit(0)));
  });
}

// ---------------------------------------------------------------- sending side

interface Result {
  rate: number;
  p50: number;
  p99: number;
}

const now = (): number => performance.now();

function summarise(latencies: Float64Array, count: number, elapsedMs: number): Result {
  const sorted = latencies.slice(0, count).sort();
  const at = (q: number): number => sorted[Math.min(count - 1, Math.floor(q * count))] ?? 0;
  return { rate: (count * 1000) / elapsedMs, p50: at(0.5) * 1000, p99: at(0.99) * 1000 };
}

/** StreamNode: `concurrency` loops each awaiting one send at a time. */
async function runOurs(
  node: StreamNode,
  to: Address,
  packet: Packet,
  concurrency: number,
  durationMs: number,
): Promise<Result> {
  const latencies = new Float64Array(MAX_SAMPLES);
  let count = 0;
  const start = now();
  const end = start + durationMs;
  const loop = async (): Promise<void> => {
    while (count < MAX_SAMPLES) {
      const sentAt = now();
      if (sentAt >= end) return;
      await node.send(to, packet);
      latencies[count++] = now() - sentAt;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return summarise(latencies, count, now() - start);
}

/** Raw `node:net`: keeps `concurrency` frames unacknowledged, counting ACK bytes. */
function runRaw(
  socket: net.Socket,
  frame: Uint8Array,
  concurrency: number,
  durationMs: number,
): Promise<Result> {
  return new Promise((resolve) => {
    const latencies = new Float64Array(MAX_SAMPLES);
    const sentAt = new Float64Array(concurrency);
    let sent = 0;
    let acked = 0;
    let ackBytes = 0;
    const start = now();
    const end = start + durationMs;
    const fill = (time: number): void => {
      if (time >= end || sent >= MAX_SAMPLES) return;
      const room = concurrency - (sent - acked);
      if (room > 1) socket.cork();
      for (let i = 0; i < room; i++) {
        sentAt[sent % concurrency] = time;
        sent++;
        socket.write(frame);
      }
      if (room > 1) socket.uncork();
    };
    const onData = (chunk: Buffer): void => {
      const time = now();
      ackBytes += chunk.length;
      const total = Math.floor(ackBytes / 3);
      while (acked < total) {
        latencies[acked] = time - (sentAt[acked % concurrency] as number);
        acked++;
      }
      fill(time);
      if (acked === sent) {
        socket.off('data', onData);
        resolve(summarise(latencies, acked, time - start));
      }
    };
    socket.on('data', onData);
    fill(start);
  });
}

function connectRaw(address: Address): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(address.port, address.host, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(): Promise<void> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const remote = await new Promise<Addresses>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Addresses));
    child.once('exit', (code) => reject(new Error(`receiving process exited with ${code}`)));
  });

  const lockStep = await StreamNode.listen({ listen: '127.0.0.1:0', window: 1 });
  const windowed = await StreamNode.listen({ listen: '127.0.0.1:0', window: WINDOW });
  const packet: Packet = { kind: 'message', source: lockStep.address, text: TEXT };
  const frame = encode(packet, 'binary');
  const rawLockStep = await connectRaw(remote.raw);
  const rawWindowed = await connectRaw(remote.raw);

  const rawLock = 'raw net, lock-step';
  const oursLock = 'StreamNode, window 1';
  const rawWin = `raw net, ${WINDOW} in flight`;
  const oursWin = `StreamNode, window ${WINDOW}`;
  const variants = [
    { name: rawLock, run: (ms: number) => runRaw(rawLockStep, frame, 1, ms) },
    { name: oursLock, run: (ms: number) => runOurs(lockStep, remote.node, packet, 1, ms) },
    { name: rawWin, run: (ms: number) => runRaw(rawWindowed, frame, WINDOW, ms) },
    { name: oursWin, run: (ms: number) => runOurs(windowed, remote.node, packet, WINDOW, ms) },
  ];
  const results = new Map<string, Result[]>(variants.map((v) => [v.name, []]));

  console.log(
    `@p2p/stream: ${frame.length}-byte frames (100-byte Message, binary) over loopback; ` +
      `${ROUNDS} rounds of ${ROUND_MS} ms per variant, Node ${process.version}`,
  );
  for (const variant of variants) await variant.run(WARMUP_MS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of variants) results.get(variant.name)?.push(await variant.run(ROUND_MS));
  }

  const medianOf = (name: string, key: keyof Result): number =>
    median((results.get(name) ?? []).map((result) => result[key]));
  const rows = variants.map(({ name }) => ({
    variant: name,
    'packets/s': Math.round(medianOf(name, 'rate')).toLocaleString('en-US'),
    'p50 µs': medianOf(name, 'p50').toFixed(1),
    'p99 µs': medianOf(name, 'p99').toFixed(1),
  }));
  console.table(rows);

  const rate = (name: string): number => medianOf(name, 'rate');
  const p50 = (name: string): number => medianOf(name, 'p50');
  const lockRatio = rate(rawLock) / rate(oursLock);
  const windowGain = rate(oursWin) / rate(oursLock);
  console.log(
    `lock-step, StreamNode / raw: ${lockRatio.toFixed(2)}x the time per packet, ` +
      `${(p50(oursLock) / p50(rawLock)).toFixed(2)}x the p50 round trip ` +
      `(goal <= 1.5x: ${lockRatio <= 1.5 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `window ${WINDOW}, StreamNode: ${windowGain.toFixed(1)}x its lock-step rate ` +
      `(goal >= 5x: ${windowGain >= 5 ? 'met' : 'NOT met'}); ` +
      `raw with ${WINDOW} in flight is ${(rate(rawWin) / rate(oursWin)).toFixed(2)}x as fast`,
  );

  rawLockStep.destroy();
  rawWindowed.destroy();
  await Promise.all([lockStep.close(), windowed.close()]);
  child.disconnect();
}

if (process.argv.includes('--serve')) {
  await serve();
} else {
  await main();
}
