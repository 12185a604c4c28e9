import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { P2pProcess } from './processes.js';

const repository = fileURLToPath(new URL('../../..', import.meta.url));
const rootFlags = ['--listen', '127.0.0.1:0', '--http', 'off', '--db', ':memory:'];

const processes: P2pProcess[] = [];
afterEach(async () => {
  for (const proc of processes.splice(0).reverse()) {
    proc.kill();
    await proc.exited;
  }
});

describe('p2p root', () => {
  it('says each event once: on standard output, not again in the logs', async () => {
    const root = new P2pProcess(['root', ...rootFlags, '--timings', 'fast', '--json']);
    processes.push(root);
    const address = String((await root.waitFor((e) => e.event === 'started')).address);
    const peer = new P2pProcess(['peer', '--root', address, '--timings', 'fast', '--json']);
    processes.push(peer);
    await root.waitFor((e) => e.event === 'placed');
    expect(root.events.filter((e) => e.event === 'node-registered')).toHaveLength(1);
    expect(root.stderr).toBe('');
  });

  it('announces the registrations it forgets (--forget-after)', async () => {
    const root = new P2pProcess([
      'root',
      ...rootFlags,
      '--timings',
      'fast',
      '--forget-after',
      '500',
      '--json',
    ]);
    processes.push(root);
    const address = String((await root.waitFor((e) => e.event === 'started')).address);
    const peer = new P2pProcess(['peer', '--root', address, '--timings', 'fast', '--json']);
    processes.push(peer);
    const { address: gone } = await root.waitFor((e) => e.event === 'placed');
    peer.kill();
    await peer.exited;
    await root.waitFor((e) => e.event === 'turned-off');
    expect(await root.waitFor((e) => e.event === 'forgotten')).toEqual({
      event: 'forgotten',
      addresses: [gone],
    });
  });

  it('run through the repository script, stops with exit code 0 on Ctrl-C, forwarded or not', async () => {
    // `pnpm p2p …` runs this script in `sh -c`: without `exec`, the shell (dash) died of the
    // terminal's SIGINT while the root shut down cleanly, and pnpm said "ELIFECYCLE Command failed".
    const script = (
      JSON.parse(readFileSync(`${repository}/package.json`, 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts.p2p as string;
    const run = script.slice(script.lastIndexOf('&&') + 2).trim(); // after the build
    const child = spawn('sh', ['-c', `${run} root ${rootFlags.join(' ')} --json`], {
      cwd: repository,
      detached: true, // its own process group, as a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (code, signal) => resolve([code, signal])),
    );
    const group = child.pid as number;
    try {
      await new Promise<void>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
          if (output.includes('"event":"started"')) resolve();
        });
        void exited.then(() => reject(new Error(`exited before starting: ${output}`)));
      });
      process.kill(-group, 'SIGINT'); // Ctrl-C: every process of the foreground group
      // pnpm forwards the Ctrl-C it received too, at a moment of its own: until the root has
      // exited, more SIGINTs keep coming, and none may end it by signal.
      const again = setInterval(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(group, 'SIGINT');
      }, 1);
      try {
        expect(await exited).toEqual([0, null]);
      } finally {
        clearInterval(again);
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-group, 'SIGKILL');
    }
  });
});
