import { readFileSync } from 'node:fs';
import { RootServer } from '@p2p/root-server';
import { afterEach, describe, expect, it } from 'vitest';
import { runP2p } from './processes.js';

/**
 * The `p2p` commands of this package's README, run as written (a root address replaced by a live
 * root's). A command added to the README without being run here fails the first test.
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const shellLines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((match) =>
  (match[1] as string).split('\n'),
);
/** Each `p2p …` invocation (what follows `$ ` or `exec `), the output lines after `$ …` kept. */
const commands = shellLines
  .map((line) => line.replace(/^\$ /, '').replace(/\s+#.*$/, ''))
  .map((line) => line.match(/(?:^|exec )((?:printf .* \| )?p2p .*)$/)?.[1])
  .filter((command): command is string => command !== undefined);

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Splits a command line into words, honouring single quotes (no other shell syntax is used). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? (m[2] as string));
}

async function runCommand(command: string, root?: string) {
  const piped = command.match(/^printf '(.*)' \| (p2p .*)$/);
  const line = (piped?.[2] ?? command).replaceAll('127.0.0.1:5353', root ?? '127.0.0.1:5353');
  const input = piped?.[1]?.replaceAll('\\n', '\n');
  return runP2p(words(line).slice(1), input);
}

describe("the CLI README's commands run as written", () => {
  it('every command of the README is one this file runs', () => {
    const known = [/^p2p demo /, /^printf .* \| p2p peer /, /^p2p decode [0-9a-f]+$/];
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const command of commands)
      expect(
        known.some((k) => k.test(command)),
        command,
      ).toBe(true);
  });

  it.each(commands.filter((c) => c.startsWith('p2p demo')))('%s', async (command) => {
    const { code, stdout, stderr } = await runCommand(command); // input ends at once: it stops
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const peers = command.match(/--peers (\d+)/)?.[1] ?? '7';
    expect(stdout).toContain(`${peers} peers joined in`);
    expect(stdout).toContain(`reached all ${peers} peers`);
  });

  it.each(commands.filter((c) => c.startsWith('printf')))('%s', async (command) => {
    const root = await RootServer.start({ listen: '127.0.0.1:0', http: null });
    closers.push(() => root.close());
    const { code, stdout, stderr } = await runCommand(command, root.address);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/\{"event":"sent","text":"hello","delivered":1,"failed":\[\]\}/);
  });

  it.each(commands.filter((c) => c.startsWith('p2p decode')))('%s', async (command) => {
    const { code, stdout } = await runCommand(command);
    expect(code).toBe(0);
    // The README shows the output on the line after the command.
    const shown = shellLines[shellLines.findIndex((l) => l.endsWith(command)) + 1];
    expect(stdout).toBe(`${shown}\n`);
  });
});
