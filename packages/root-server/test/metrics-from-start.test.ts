import { afterEach, describe, expect, it } from 'vitest';
import { RootServer } from '../src/index.js';

const roots: RootServer[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await root.close();
});

function sample(body: string, name: string): number {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in the scrape`);
  return Number(line.slice(name.length + 1));
}

describe('/metrics of a root that just started', () => {
  it('counts the CPU the process used before, and has no NaN or impossible lag figures', async () => {
    const usedBefore = process.cpuUsage();
    const root = await RootServer.start({ listen: '127.0.0.1:0' });
    roots.push(root);
    const scrape = async () => (await fetch(`http://${root.httpAddress}/metrics`)).text();
    for (const body of [await scrape(), await scrape()]) {
      expect(body).not.toMatch(/ NaN$|Nan$/m);
      expect(sample(body, 'process_cpu_seconds_total')).toBeGreaterThanOrEqual(
        (usedBefore.user + usedBefore.system) / 1e6,
      );
      // The event loop delay of a live process is well under a minute, never 9223372036 s.
      for (const statistic of ['min', 'max', 'mean', 'p50', 'p99']) {
        const value = sample(body, `nodejs_eventloop_lag_${statistic}_seconds`);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThan(60);
      }
    }
  });
});
