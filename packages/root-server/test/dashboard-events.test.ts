import { Peer } from '@p2p/peer';
import { silentLogger } from '@p2p/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminServer, type AdminSource, RootServer } from '../src/index.js';

/** Reads a server-sent event stream as text, up to a marker or its end. */
async function openEvents(url: string) {
  const response = await fetch(url);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let received = '';
  return {
    response,
    received: () => received,
    /** True once `text` has arrived; false when the stream ended without it. */
    async until(text: string): Promise<boolean> {
      while (!received.includes(text)) {
        const { value, done } = await reader.read();
        if (done) return false;
        received += decoder.decode(value, { stream: true });
      }
      return true;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

const stubSource: AdminSource = {
  healthy: () => true,
  metrics: async () => ({ contentType: 'text/plain', body: '' }),
  topology: () => ({ root: '127.0.0.1:1', nodes: [] }),
  stats: () => ({ registered: 0 }),
};

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('GET /api/events', () => {
  it('announces a placement, and ends when the root server closes', async () => {
    const root = await RootServer.start({
      listen: '127.0.0.1:0',
      http: '127.0.0.1:0',
      timings: 'fast',
    });
    closers.push(() => root.close());
    const events = await openEvents(`http://${root.httpAddress}/api/events`);
    expect(events.response.status).toBe(200);
    expect(events.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await events.until('event: hello')).toBe(true);

    const peer = await Peer.start({ listen: '127.0.0.1:0', root: root.address, timings: 'fast' });
    closers.push(() => peer.close());
    expect(await events.until('event: topology')).toBe(true);

    await root.close();
    expect(await events.until('never sent')).toBe(false); // the stream ended
  });

  it('coalesces a burst of changes into one event', async () => {
    const admin = await AdminServer.listen('127.0.0.1', 0, stubSource, silentLogger);
    closers.push(() => admin.close());
    const events = await openEvents(`http://${admin.address}/api/events`);
    closers.push(events.cancel);
    expect(await events.until('event: hello')).toBe(true);
    expect(admin.events.clients).toBe(1);

    for (let i = 0; i < 500; i++) admin.events.notify('topology');
    expect(await events.until('event: topology')).toBe(true);
    // A marker sent after the burst: whatever the burst produced has arrived before it.
    admin.events.notify('marker');
    expect(await events.until('event: marker')).toBe(true);
    expect(events.received().match(/event: topology/g)).toHaveLength(1);
  });

  it('lets close() end open streams and stop its timers', async () => {
    const admin = await AdminServer.listen('127.0.0.1', 0, stubSource, silentLogger);
    closers.push(() => admin.close());
    const streams = await Promise.all(
      [1, 2, 3].map(() => openEvents(`http://${admin.address}/api/events`)),
    );
    for (const stream of streams) expect(await stream.until('event: hello')).toBe(true);
    expect(admin.events.clients).toBe(3);
    admin.events.notify('topology'); // a pending, coalesced event: close() must cancel it

    await admin.close();
    for (const stream of streams) expect(await stream.until('never sent')).toBe(false);
    expect(admin.events.clients).toBe(0);
    await admin.close(); // idempotent
  });

  it('answers HEAD with the headers alone', async () => {
    const admin = await AdminServer.listen('127.0.0.1', 0, stubSource, silentLogger);
    closers.push(() => admin.close());
    const response = await fetch(`http://${admin.address}/api/events`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(admin.events.clients).toBe(0);
  });
});

describe('the dashboard’s page, assets and counters', () => {
  it('serves the page and every file it loads from the root itself', async () => {
    const admin = await AdminServer.listen('127.0.0.1', 0, stubSource, silentLogger);
    closers.push(() => admin.close());
    const base = `http://${admin.address}`;
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const loaded = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(loaded.sort()).toEqual([
      '/assets/d3-hierarchy.min.js',
      '/assets/dashboard.css',
      '/assets/dashboard.js',
    ]);
    expect(html).not.toMatch(/https?:\/\//); // nothing from the internet
    for (const path of loaded) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(
        path.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
      expect((await response.text()).length, path).toBeGreaterThan(1_000);
    }
    expect(await (await fetch(`${base}/assets/d3-hierarchy.min.js`)).text()).toContain('stratify');
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
  });

  it('counts in /api/stats and keeps /api/topology to its contract', async () => {
    const root = await RootServer.start({
      listen: '127.0.0.1:0',
      http: '127.0.0.1:0',
      timings: 'fast',
    });
    closers.push(() => root.close());
    const now = Date.now();
    for (const address of ['10.9.0.1:7001', '10.9.0.2:7002', '10.9.0.3:7003']) {
      await root.node.registry.register(address, now);
      root.node.registry.advertise(address, now);
    }
    const stats = await (await fetch(`http://${root.httpAddress}/api/stats`)).json();
    expect(stats).toEqual({
      registered: 3,
      alive: 3,
      depth: 2,
      messagesPerSecond: 0,
      hellosPerSecond: 0,
      drops: 0,
    });
    const topology = await (await fetch(`http://${root.httpAddress}/api/topology`)).json();
    expect(topology.root).toBe(root.address);
    expect(topology.nodes).toHaveLength(3);
    for (const node of topology.nodes) {
      expect(Object.keys(node).sort()).toEqual(
        ['address', 'alive', 'children', 'depth', 'framing', 'lastSeen', 'parent'].sort(),
      );
      expect(new Date(node.lastSeen).toISOString()).toBe(node.lastSeen);
    }
  });
});
