import type net from 'node:net';
import { type Packet, PacketFrame } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamNode } from '../src/index.js';
import {
  closeAll,
  closedPort,
  expectEndAfter,
  frameOf,
  handleCounts,
  loopTurns,
  RawClient,
  RawServer,
  remoteSawEnd,
  settledYet,
  startNode,
  TestClock,
  TestLogger,
  waitFor,
} from './helpers.js';

afterEach(closeAll);

const offerOf = (node: StreamNode): Packet => ({
  kind: 'capabilities-offer',
  source: node.address,
  capabilities: { ids: 1, window: 32 },
});
const answerOf = (node: StreamNode): Packet => ({
  kind: 'capabilities-answer',
  source: node.address,
  capabilities: { ids: 1, window: 16 },
});

/** Counts `'unreachable'` events of `node`: a probe must never emit one. */
function unreachableCount(node: StreamNode): () => number {
  let count = 0;
  node.on('unreachable', () => count++);
  return () => count;
}

/** Probes `raw` (which never acknowledges) and lets `child`'s ACK timeout of 500 ms pass. */
async function probeUntilAckTimeout(child: StreamNode, raw: RawServer, clock: TestClock) {
  const arrived = waitFor(raw, 'frame');
  const result = child.probe(raw.address, offerOf(child));
  await arrived;
  clock.advance(500);
  expect(await result).toMatchObject({
    outcome: 'refused',
    error: { code: 'ERR_STREAM_ACK_TIMEOUT' },
  });
}

describe('probe(to, offer)', () => {
  it('is answered by a node that answers offers: its answer, then ACK, on a connection of its own', async () => {
    const logger = new TestLogger();
    const parent = await startNode({ logger });
    const child = await startNode();
    parent.answerOffers(answerOf(parent));
    const unreachable = unreachableCount(child);
    const heard = waitFor<{ packet: Packet }>(parent, 'packet');
    const result = await child.probe(parent.address, offerOf(child));
    expect(result).toEqual({ outcome: 'answered', packet: answerOf(parent) });
    // The parent handled the offer like any packet.
    expect((await heard).packet).toEqual(offerOf(child));
    // The child closed the probe in order (a FIN, not a reset), and kept no connection.
    await logger.line('inbound connection ended by the remote');
    expect(child.stats()).toMatchObject({ outbound: 0, inFlight: 0 });
    expect(unreachable()).toBe(0);
  });

  it('is acknowledged only by a node that does not answer offers', async () => {
    const parent = await startNode();
    const child = await startNode();
    const unreachable = unreachableCount(child);
    expect(await child.probe(parent.address, offerOf(child))).toEqual({ outcome: 'acknowledged' });
    parent.answerOffers(answerOf(parent));
    parent.answerOffers(undefined);
    expect(await child.probe(parent.address, offerOf(child))).toEqual({ outcome: 'acknowledged' });
    expect(unreachable()).toBe(0);
  });

  it('leaves unanswered an offer its filter declines, given the offer and the connection', async () => {
    const parent = await startNode();
    const child = await startNode();
    const asked: Array<{ source: string; remote: string }> = [];
    parent.answerOffers(answerOf(parent), (offer, remote) => {
      asked.push({ source: offer.source.host, remote: remote.host.replace(/^::ffff:/, '') });
      return offer.source.port !== child.address.port;
    });
    const heard = waitFor<{ packet: Packet }>(parent, 'packet');
    expect(await child.probe(parent.address, offerOf(child))).toEqual({ outcome: 'acknowledged' });
    // Declined, the offer is still reported like any packet.
    expect((await heard).packet).toEqual(offerOf(child));
    expect(asked).toEqual([{ source: '127.0.0.1', remote: '127.0.0.1' }]);
    const other = await startNode();
    expect(await other.probe(parent.address, offerOf(other))).toEqual({
      outcome: 'answered',
      packet: answerOf(parent),
    });
  });

  it('answers in the framing of the offer, answer and ACK in one write', async () => {
    const parent = await startNode();
    parent.answerOffers(answerOf(parent));
    const client = await RawClient.connect(parent.address);
    const offer = frameOf(offerOf(parent), 'text');
    await client.write(offer);
    const expected = Buffer.concat([frameOf(answerOf(parent), 'text'), Buffer.from('ACK')]);
    expect(await client.receivedAtLeast(expected.length)).toEqual(expected);
    expect(client.chunks[0]).toEqual(expected);
  });

  it('is refused ERR_STREAM_CLOSED by a node that closes on the unknown type, with no unreachable', async () => {
    // What a node of ours from before the extension does: ERR_TYPE, the connection closed.
    const raw = await RawServer.start({
      ack: false,
      onConnection: (socket) => socket.once('data', () => socket.destroy()),
    });
    const child = await startNode();
    const unreachable = unreachableCount(child);
    const result = await child.probe(raw.address, offerOf(child));
    expect(result).toMatchObject({ outcome: 'refused', error: { code: 'ERR_STREAM_CLOSED' } });
    expect(unreachable()).toBe(0);
  });

  it.each([
    { idleTimeout: 2_000, bound: 2_000, what: 'idleTimeout' },
    { idleTimeout: 0, bound: 3_000, what: 'six ACK timeouts (idleTimeout 0)' },
  ])(
    'is refused ERR_STREAM_ACK_TIMEOUT by a node that never answers, its connection ended in order $what later',
    async ({ idleTimeout, bound }) => {
      const clock = new TestClock();
      const raw = await RawServer.start({ ack: false });
      const child = await startNode({ clock, ackTimeout: 500, idleTimeout });
      const unreachable = unreachableCount(child);
      const ended = remoteSawEnd(raw);
      await probeUntilAckTimeout(child, raw, clock);
      await expectEndAfter(clock, bound, ended);
      expect(raw.frames.map((frame) => frame.packet.kind)).toEqual(['capabilities-offer']);
      expect(unreachable()).toBe(0);
    },
  );

  it('after an ACK timeout, ends the connection only ackTimeout after the late ACK (a slow reference dies of an end that comes with the offer)', async () => {
    const clock = new TestClock();
    const raw = await RawServer.start({ ack: false });
    const child = await startNode({ clock, ackTimeout: 500 });
    const ended = remoteSawEnd(raw);
    const endedYet = settledYet(ended);
    const accepted = new Promise<net.Socket>((resolve) => raw.once('connection', resolve));
    await probeUntilAckTimeout(child, raw, clock);
    await loopTurns(4);
    expect(endedYet()).toBe(false);
    const armed = clock.nextTimer();
    (await accepted).write('ACK');
    expect(await armed).toBe(500);
    await expectEndAfter(clock, 500, ended);
  });

  it('ends an acknowledged probe only ackTimeout after the ACK (a FIN right behind it kills the reference)', async () => {
    const clock = new TestClock();
    const raw = await RawServer.start(); // acknowledges every frame, answers nothing
    const child = await startNode({ clock, ackTimeout: 500 });
    const ended = remoteSawEnd(raw);
    const endedYet = settledYet(ended);
    expect(await child.probe(raw.address, offerOf(child))).toEqual({ outcome: 'acknowledged' });
    expect(clock.pending).toBe(1); // the wait before the end
    await loopTurns(4);
    expect(endedYet()).toBe(false);
    await expectEndAfter(clock, 500, ended);
  });

  it('ends a probe waiting for a late reply at once when the node closes', async () => {
    const clock = new TestClock();
    const raw = await RawServer.start({ ack: false });
    const child = await startNode({ clock, ackTimeout: 500 });
    const ended = remoteSawEnd(raw);
    await probeUntilAckTimeout(child, raw, clock);
    await child.close(); // waits for the probe's connection, not for the idle bound
    expect(await ended).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('ends an acknowledged probe at once when the node closes, or when the remote ends first', async () => {
    const clock = new TestClock();
    const raw = await RawServer.start();
    const child = await startNode({ clock, ackTimeout: 500 });
    const ended = remoteSawEnd(raw);
    expect(await child.probe(raw.address, offerOf(child))).toEqual({ outcome: 'acknowledged' });
    await child.close(); // waits for the probe's connection
    expect(await ended).toBe(true);
    expect(clock.pending).toBe(0);

    const other = await startNode({ clock, ackTimeout: 500 });
    const accepted = new Promise<net.Socket>((resolve) => raw.once('connection', resolve));
    expect(await other.probe(raw.address, offerOf(other))).toEqual({ outcome: 'acknowledged' });
    const closed = new Promise((resolve) => raw.once('close', resolve));
    (await accepted).end();
    await closed;
    await loopTurns(4);
    expect(clock.pending).toBe(0);
  });

  it('is refused ERR_STREAM_REFUSED where nothing listens', async () => {
    const child = await startNode();
    const unreachable = unreachableCount(child);
    const result = await child.probe(await closedPort(), offerOf(child));
    expect(result).toMatchObject({ outcome: 'refused', error: { code: 'ERR_STREAM_REFUSED' } });
    expect(unreachable()).toBe(0);
  });

  it('reads an ACK and an answer split across reads, byte by byte', async () => {
    const child = await startNode();
    const answer = frameOf(answerOf(child), 'binary');
    const reply = Buffer.concat([answer, Buffer.from('ACK')]);
    const raw = await RawServer.start({
      ack: false,
      onConnection: (socket) =>
        socket.once('data', async () => {
          for (const byte of reply) {
            await new Promise<void>((resolve) => socket.write(Buffer.of(byte), () => resolve()));
          }
        }),
    });
    expect(await child.probe(raw.address, offerOf(child))).toEqual({
      outcome: 'answered',
      packet: answerOf(child),
    });
  });

  it('is refused ERR_STREAM_PROTOCOL when what comes back is neither a frame nor ACK', async () => {
    const raw = await RawServer.start({
      ack: false,
      onConnection: (socket) => socket.once('data', () => socket.write('NAK')),
    });
    const child = await startNode();
    expect(await child.probe(raw.address, offerOf(child))).toMatchObject({
      outcome: 'refused',
      error: { code: 'ERR_STREAM_PROTOCOL' },
    });
  });

  it('ends at close() of the node, which waits for it', async () => {
    const raw = await RawServer.start({ ack: false });
    const child = await startNode();
    const arrived = waitFor(raw, 'frame');
    const result = child.probe(raw.address, offerOf(child));
    await arrived;
    await child.close();
    expect(await result).toMatchObject({
      outcome: 'refused',
      error: { code: 'ERR_STREAM_NODE_CLOSED' },
    });
    expect(await child.probe(raw.address, offerOf(child))).toMatchObject({
      outcome: 'refused',
      error: { code: 'ERR_STREAM_NODE_CLOSED' },
    });
  });

  it('leaves no socket behind, whatever the outcome', async () => {
    const clock = new TestClock();
    const closing = await RawServer.start({
      ack: false,
      onConnection: (socket) => socket.once('data', () => socket.destroy()),
    });
    const nak = await RawServer.start({
      ack: false,
      onConnection: (socket) => socket.once('data', () => socket.write('NAK')),
    });
    const silent = await RawServer.start({ ack: false });
    const child = await startNode({ clock, ackTimeout: 500 });
    const nowhere = await closedPort();
    await loopTurns();
    const baseline = handleCounts();
    const outcomes = [
      await child.probe(closing.address, offerOf(child)),
      await child.probe(nak.address, offerOf(child)),
      await child.probe(nowhere, offerOf(child)),
    ];
    const silentEnded = remoteSawEnd(silent);
    const arrived = waitFor(silent, 'frame');
    const timedOut = child.probe(silent.address, offerOf(child));
    await arrived;
    clock.advance(500);
    outcomes.push(await timedOut);
    clock.advance(60_000); // the idle bound on the wait for a late reply
    expect(
      outcomes.map((result) => (result.outcome === 'refused' ? result.error.code : '')),
    ).toEqual([
      'ERR_STREAM_CLOSED',
      'ERR_STREAM_PROTOCOL',
      'ERR_STREAM_REFUSED',
      'ERR_STREAM_ACK_TIMEOUT',
    ]);
    await silentEnded;
    await loopTurns();
    // The raw servers' own sockets are gone too: each saw its probe end.
    expect(handleCounts().TCPSocketWrap).toBe(baseline.TCPSocketWrap);
  });

  it('rejects a bad address or a packet the codec refuses', async () => {
    const child = await startNode();
    await expect(child.probe('nowhere', offerOf(child))).rejects.toMatchObject({
      code: 'ERR_STREAM_INVALID_ARGUMENT',
    });
    const bad = { ...offerOf(child), capabilities: {} } as Packet;
    await expect(child.probe('127.0.0.1:1', bad)).rejects.toMatchObject({
      code: 'ERR_STREAM_INVALID_ARGUMENT',
    });
    expect(() => child.answerOffers(offerOf(child))).toThrow(
      expect.objectContaining({ code: 'ERR_STREAM_INVALID_ARGUMENT' }),
    );
  });
});

describe('an offer that is not the first frame of a connection', () => {
  it('is acknowledged and reported, and nothing else is written back', async () => {
    const parent = await startNode();
    parent.answerOffers(answerOf(parent));
    const child = await startNode();
    const heard: string[] = [];
    parent.on('packet', ({ frame }) => heard.push(frame.kind));
    await child.send(parent.address, { kind: 'join', source: child.address });
    // Through the kept connection: an answer here would fail it with ERR_STREAM_PROTOCOL.
    await child.send(parent.address, new PacketFrame(offerOf(child)));
    await child.send(parent.address, { kind: 'join', source: child.address });
    expect(heard).toEqual(['join', 'capabilities-offer', 'join']);
  });
});
