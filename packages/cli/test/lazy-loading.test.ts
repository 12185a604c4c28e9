import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runP2p } from './processes.js';

const register = fileURLToPath(new URL('./module-log/register.mjs', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'p2p-modules-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Runs `p2p args` and resolves with the URLs of the modules it imported. */
async function modulesLoadedBy(args: string[], input?: string): Promise<string[]> {
  const log = join(folder, `${args.join('-').replace(/\W/g, '_')}.log`);
  const { code, stderr } = await runP2p(args, input, {
    NODE_OPTIONS: `--import=${register}`,
    P2P_MODULE_LOG: log,
  });
  expect([code, stderr]).toEqual([0, '']);
  return readFileSync(log, 'utf8').trim().split('\n');
}

/** The root server's modules, its native and heavy dependencies: what only `p2p root` needs. */
function serverModules(urls: readonly string[]): string[] {
  return urls.filter(
    (url) =>
      /\/root-server\/dist\/(?!service\/(flags|options|exit-codes|whole-number)\.js$)/.test(url) ||
      /\/node_modules\/(better-sqlite3|pg|prom-client|d3-hierarchy)\//.test(url),
  );
}

describe('p2p loads a command only when it runs, and the root server only for `p2p root`', () => {
  it.each([
    [['--help']],
    [['peer', '--help']],
    [['root', '--help']],
    [['decode', '31303430303030353132372e3030302e3030302e303031303533353368656c6c6f']],
  ])('p2p %j loads neither the root server nor its native modules', async (args) => {
    const urls = await modulesLoadedBy(args);
    expect(urls.some((url) => url.endsWith('/cli/dist/main.js'))).toBe(true); // the log works
    expect(serverModules(urls)).toEqual([]);
  });

  it('a peer that starts, runs its shell and quits loads the peer, not the root server', async () => {
    // Port 1: no root answers; the peer keeps trying until it quits.
    const urls = await modulesLoadedBy(['peer', '--root', '127.0.0.1:1', '--json'], 'quit\n');
    expect(urls.some((url) => url.endsWith('/peer/dist/index.js'))).toBe(true);
    expect(serverModules(urls)).toEqual([]);
  });
});
