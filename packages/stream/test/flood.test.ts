import { decodeFrame, encode, type Framing, PacketFrame } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { type FloodReport, type InboundPacket, StreamError, StreamNode } from '../src/index.js';
import {
  closeAll,
  closedPort,
  message,
  startNode,
  WAIT_MS,
  waitFor,
  withTimeout,
} from './helpers.js';

afterEach(closeAll);

/** Floods `frame` and resolves with the report, checking it comes exactly once. */
function flooded(
  node: StreamNode,
  targets: Parameters<StreamNode['flood']>[0],
  frame: Parameters<StreamNode['flood']>[1],
): Promise<FloodReport> {
  return withTimeout(
    new Promise((resolve, reject) => {
      let calls = 0;
      node.flood(targets, frame, (report) => {
        calls++;
        if (calls > 1) reject(new Error('report was called twice'));
        // A second call would come in a later turn; give it one before resolving.
        setImmediate(() => resolve(report));
      });
    }),
    WAIT_MS,
    'the flood report',
  );
}

/** Makes `node` answer `remote` in `framing`, by having `remote` send it one frame in it. */
async function teachFraming(node: StreamNode, remote: StreamNode, framing: Framing): Promise<void> {
  const arrived = waitFor(node, 'packet');
  const teacher = await StreamNode.listen({ listen: '127.0.0.1:0', defaultFraming: framing });
  // The teacher names itself `remote`: the framing memory is keyed by a frame's source.
  await teacher.send(node.address, { kind: 'join', source: remote.address });
  await arrived;
  await teacher.close();
}

describe('flood: one frame to many neighbours', () => {
  it('delivers a re-sourced frame to each in its own framing, encoded once per framing', async () => {
    const forwarder = await startNode();
    const binary = await startNode();
    const text = await startNode();
    await teachFraming(forwarder, text, 'text');
    expect(forwarder.framingFor(text.address)).toBe('text');

    const original = decodeFrame(
      encode(
        { kind: 'message', source: { host: '10.0.0.1', port: 1 }, text: 'über alles' },
        'binary',
      ),
    );
    const outgoing = original.withSource(forwarder.address);
    const asked: Framing[] = [];
    const counting = {
      bytes(framing: Framing) {
        asked.push(framing);
        return outgoing.bytes(framing);
      },
    };
    const atBinary = waitFor<InboundPacket>(binary, 'packet');
    const atText = waitFor<InboundPacket>(text, 'packet');
    const report = await flooded(forwarder, [binary.address, text.address], counting);
    expect(report).toEqual({ targets: 2, acknowledged: 2, failures: [] });

    const [b, t] = [await atBinary, await atText];
    expect(b.framing).toBe('binary');
    expect(t.framing).toBe('text');
    for (const event of [b, t]) {
      expect(event.frame.kind).toBe('message');
      expect(event.frame.source).toEqual(forwarder.address);
      expect(event.frame.text).toBe('über alles');
      expect(event.packet).toEqual({
        kind: 'message',
        source: forwarder.address,
        text: 'über alles',
      });
    }
    expect(asked.sort()).toEqual(['binary', 'text']);
    expect(outgoing.bytes('binary')).toBe(outgoing.bytes('binary'));
  });

  it('reports the failed targets once, with their errors, and counts the acknowledged ones', async () => {
    const a = await startNode();
    const b = await startNode();
    const nowhere = await closedPort();
    const report = await flooded(
      a,
      [b.address, nowhere, 'not an address'],
      new PacketFrame(message(a.address, 'some get it')),
    );
    expect(report.targets).toBe(3);
    expect(report.acknowledged).toBe(1);
    expect(report.failures.map((error) => error.code).sort()).toEqual([
      'ERR_STREAM_INVALID_ARGUMENT',
      'ERR_STREAM_REFUSED',
    ]);
    for (const error of report.failures) expect(error).toBeInstanceOf(StreamError);
    expect(report.failures.find((e) => e.code === 'ERR_STREAM_REFUSED')?.remote).toBe(
      `127.0.0.1:${nowhere.port}`,
    );
  });

  it("reports a frame too large for a neighbour's framing as that neighbour's failure", async () => {
    const a = await startNode();
    const binary = await startNode({ maxBodySize: 200_000 });
    const text = await startNode({ maxBodySize: 200_000 });
    await teachFraming(a, text, 'text');
    const big = decodeFrame(
      encode(message({ host: '10.0.0.1', port: 1 }, 'x'.repeat(100_000)), 'binary'),
    );
    const report = await flooded(a, [binary.address, text.address], big.withSource(a.address));
    expect(report.acknowledged).toBe(1);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({
      code: 'ERR_STREAM_INVALID_ARGUMENT',
      remote: `127.0.0.1:${text.address.port}`,
    });
    expect(report.failures[0]?.cause).toMatchObject({ code: 'ERR_CODEC_BODY_TOO_LARGE' });
  });

  it('reports every target refused at once when the node is closed, and an empty flood too', async () => {
    const a = await startNode();
    const frame = new PacketFrame(message(a.address, 'too late'));
    expect(await flooded(a, [], frame)).toEqual({ targets: 0, acknowledged: 0, failures: [] });
    await a.close();
    const report = await flooded(a, ['127.0.0.1:1', '127.0.0.1:2'], frame);
    expect(report.failures.map((error) => error.code)).toEqual([
      'ERR_STREAM_NODE_CLOSED',
      'ERR_STREAM_NODE_CLOSED',
    ]);
  });

  it('works without a report', async () => {
    const a = await startNode();
    const b = await startNode();
    const arrived = waitFor<InboundPacket>(b, 'packet');
    a.flood([b.address], new PacketFrame(message(a.address, 'fire and forget')));
    expect((await arrived).frame.text).toBe('fire and forget');
  });
});
