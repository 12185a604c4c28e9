import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ReplySources } from '../src/core/reply-sources.js';
import { TreeCore } from '../src/index.js';
import { addr, FakeTransport } from './fake-transport.js';

const CHILD = '10.0.0.5:6000';

/** A node listening on every interface, with one child that dialled 10.0.0.1. */
function wildcardNodeWithChild() {
  const transport = new FakeTransport('0.0.0.0:5353');
  const node = new TreeCore({ transport, events: new EventEmitter() });
  transport.deliver({ kind: 'join', source: addr(CHILD) }, { local: '10.0.0.1' });
  return { transport, node };
}

async function sourceOfBroadcastTo(
  node: TreeCore,
  transport: FakeTransport,
  to: string,
): Promise<string> {
  await node.broadcast('hello');
  const [sent] = transport.take('message', to);
  return `${sent?.packet.source.host}:${sent?.packet.source.port}`;
}

describe('a node listening on 0.0.0.0 answers each remote from the address it dialled', () => {
  it('answers a child from the address the child dialled', async () => {
    const { transport, node } = wildcardNodeWithChild();
    expect(await sourceOfBroadcastTo(node, transport, CHILD)).toBe('10.0.0.1:5353');
  });

  it('a spoofed packet (claiming the child, over another IP) does not change it', async () => {
    const { transport, node } = wildcardNodeWithChild();
    transport.deliver(
      { kind: 'message', source: addr(CHILD), text: 'spoofed' },
      { over: '10.9.9.9', local: '192.168.7.1' },
    );
    transport.deliver(
      { kind: 'join', source: addr(CHILD) },
      { over: '::ffff:10.9.9.9', local: '192.168.7.1' },
    );
    expect(await sourceOfBroadcastTo(node, transport, CHILD)).toBe('10.0.0.1:5353');
    // The child itself, over an IPv4-mapped socket address, is heard.
    transport.deliver(
      { kind: 'join', source: addr(CHILD) },
      { over: '::ffff:10.0.0.5', local: '::ffff:10.0.0.2' },
    );
    expect(await sourceOfBroadcastTo(node, transport, CHILD)).toBe('10.0.0.2:5353');
  });

  it('floods a Message once per source its neighbours know it by, each re-sourced', async () => {
    const { transport, node } = wildcardNodeWithChild();
    const other = '192.168.7.9:6000';
    transport.deliver({ kind: 'join', source: addr(other) }, { local: '192.168.7.1' });
    await node.broadcast('to both');
    const sources = transport.floods.map(({ targets }) => {
      const [sent] = transport.take('message', targets[0]);
      return [targets, `${sent?.packet.source.host}:${sent?.packet.source.port}`];
    });
    expect(sources).toEqual([
      [[CHILD], '10.0.0.1:5353'],
      [[other], '192.168.7.1:5353'],
    ]);
    // A Message from one child goes on to the other from the address that one dialled.
    transport.floods.length = 0;
    transport.deliver({ kind: 'message', source: addr(CHILD), text: 'on' }, { local: '10.0.0.1' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(transport.floods.map((f) => f.targets)).toEqual([[other]]);
    const [forwarded] = transport.take('message', other);
    expect(forwarded?.packet).toEqual({
      kind: 'message',
      source: addr('192.168.7.1:5353'),
      text: 'on',
    });
  });

  it('a child on this machine not heard from since a restart is answered from loopback', async () => {
    const transport = new FakeTransport('0.0.0.0:5353');
    const node = new TreeCore({ transport, events: new EventEmitter() });
    transport.deliver({ kind: 'join', source: addr('127.0.0.1:7000') }); // no local address known
    expect(await sourceOfBroadcastTo(node, transport, '127.0.0.1:7000')).toBe('127.0.0.1:5353');
  });

  it('forgets the remote heard from least recently, not the one remembered first', () => {
    const sources = new ReplySources(addr('0.0.0.0:5353'), 2);
    const hear = (from: string, local: string) =>
      sources.heard(
        from,
        from.split(':')[0] as string,
        { host: from.split(':')[0] as string },
        {
          host: local,
        },
      );
    hear('10.0.0.5:1', '10.0.0.1');
    hear('10.0.0.6:1', '10.0.0.1');
    hear('10.0.0.5:1', '10.0.0.1'); // heard again: now the most recent
    hear('10.0.0.7:1', '10.0.0.1');
    expect(sources.sourceFor('10.0.0.5:1')).toEqual(addr('10.0.0.1:5353'));
    expect(sources.sourceFor('10.0.0.6:1')).toEqual(addr('0.0.0.0:5353'));
  });
});
