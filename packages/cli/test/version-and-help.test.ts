import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runP2p } from './processes.js';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

describe('p2p --version and the top-level --help', () => {
  it.each([['--version'], ['-V']])('p2p %s prints the version of the cli package', async (flag) => {
    const { code, stdout } = await runP2p([flag]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${version}\n`);
  });

  it('p2p --help ends with examples of every command', async () => {
    const { code, stdout } = await runP2p(['--help']);
    expect(code).toBe(0);
    const examples = stdout.slice(stdout.indexOf('Examples:'));
    expect(examples).not.toBe(stdout);
    for (const command of ['p2p demo', 'p2p root', 'p2p peer', 'p2p decode'])
      expect(examples).toContain(command);
  });
});
