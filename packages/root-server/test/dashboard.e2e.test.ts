/// <reference lib="dom" />
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Peer } from '@p2p/peer';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RootServer } from '../src/index.js';
import { until } from './wait.js';

const CHROMIUM = '/usr/bin/chromium';
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const profile = mkdtempSync(join(tmpdir(), 'p2p-chromium-'));

let root: RootServer;
const peers: Peer[] = [];
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium); .ci/run does`,
    );
  }
  root = await RootServer.start({ listen: '127.0.0.1:0', http: '127.0.0.1:0', timings: 'fast' });
  for (let i = 0; i < 6; i++)
    peers.push(await Peer.start({ listen: '127.0.0.1:0', root: root.address, timings: 'fast' }));
  await until(
    'every peer in the tree',
    () =>
      root.topology().nodes.filter((n) => n.alive).length === peers.length &&
      peers.every((p) => p.parent !== null),
    [root, ...peers],
    ['placed', 'parent'],
  );
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
  await page.goto(`http://${root.httpAddress}/`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(peers.map((p) => p.close()));
  await root?.close();
  rmSync(profile, { recursive: true, force: true });
});

const node = (address: string) => page.locator(`svg [data-address="${address}"]`);

describe('the live topology dashboard in Chromium', () => {
  it('draws every node of the tree, the root on top, with the counters', async () => {
    await page.locator('.connection.live').waitFor({ timeout: 10_000 });
    await node(root.address).waitFor({ timeout: 10_000 });
    expect(await node(root.address).getAttribute('data-state')).toBe('root');
    for (const peer of peers) await node(peer.address).waitFor({ timeout: 10_000 });
    expect(await page.locator('svg .node[data-state="alive"]').count()).toBe(peers.length);
    const rootY = await node(root.address).evaluate((g) => g.getBoundingClientRect().y);
    const peerY = await node(peers[5]?.address ?? '').evaluate((g) => g.getBoundingClientRect().y);
    expect(rootY).toBeLessThan(peerY);
    await page.waitForFunction(
      (n) => document.getElementById('stat-alive')?.textContent === String(n),
      peers.length,
      { timeout: 10_000 },
    );
    expect(await page.locator('.legend').textContent()).toContain('turned off');
  });

  it('shows a node’s details when clicked', async () => {
    const peer = peers[3] as Peer;
    await node(peer.address).click();
    const details = page.locator('#details');
    await expect
      .poll(() => details.locator('[data-field="address"]').textContent())
      .toBe(peer.address);
    expect(await details.locator('[data-field="parent"]').textContent()).toBe(peer.parent);
    expect(await details.locator('[data-field="framing"]').textContent()).toBe('binary');
    expect(await details.locator('[data-field="last hello"]').textContent()).not.toBe('');
  });

  it('turns a closed peer off within the root timeout, without a reload', async () => {
    const victim = peers[5] as Peer; // a leaf: nobody has to move
    const before = await page.evaluate(() => performance.timeOrigin);
    await victim.close();
    await page
      .locator(`#turned-off [data-address="${victim.address}"]`)
      .waitFor({ timeout: root.timings.rootTimeout * 4 });
    await expect.poll(() => node(victim.address).count(), { timeout: 10_000 }).toBe(0);
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(before); // the same page, updated live
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
  });
});

describe('the event stream', () => {
  it('announces a change of the tree, and ends when the server closes', async () => {
    const server = await RootServer.start({
      listen: '127.0.0.1:0',
      http: '127.0.0.1:0',
      timings: 'fast',
    });
    const response = await fetch(`http://${server.httpAddress}/api/events`);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = '';
    const readUntil = async (text: string) => {
      while (!received.includes(text)) {
        const { value, done } = await reader.read();
        if (done) return false;
        received += decoder.decode(value);
      }
      return true;
    };
    expect(await readUntil('event: hello')).toBe(true);
    const peer = await Peer.start({ listen: '127.0.0.1:0', root: server.address, timings: 'fast' });
    expect(await readUntil('event: topology')).toBe(true);
    await peer.close();
    await server.close();
    expect(await readUntil('never sent')).toBe(false); // the stream ended
  });
});
