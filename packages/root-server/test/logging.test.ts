import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveLogFormat } from '../src/index.js';
import { RootProcess } from './root-process.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const quiet = ['--listen', '127.0.0.1:0', '--http', 'off', '--db', ':memory:'];

const running: RootProcess[] = [];
afterEach(async () => {
  for (const root of running.splice(0)) {
    root.kill();
    await root.exited;
  }
});

describe('the log format', () => {
  it('is readable on a terminal and JSON otherwise, unless asked', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('is JSON lines when standard error is not a terminal', async () => {
    const root = new RootProcess(quiet);
    running.push(root);
    await root.started;
    const lines = root.stderr.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('is readable lines when asked, by flag or environment', async () => {
    for (const [args, env] of [
      [[...quiet, '--db', '/proc/version', '--log-format', 'pretty'], {}],
      [[...quiet, '--db', '/proc/version'], { P2P_LOG_FORMAT: 'pretty' }],
    ] as const) {
      const result = spawnSync(process.execPath, [bin, ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/FATAL.*\(p2p-root\): cannot open the store/);
      expect(result.stderr).not.toContain('{"level"');
      // Readable logs say it once: no extra plain line repeating the error.
      expect(result.stderr.match(/cannot open the root database/g)).toHaveLength(1);
    }
  });
});

/** `script` (util-linux) runs a command on a pseudo-terminal: what an operator at a terminal sees. */
const hasScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!hasScript)('p2p-root at a terminal (pseudo-terminal through script)', () => {
  it('logs readable lines, and Ctrl-C stops it gracefully with exit code 0', async () => {
    const command = [process.execPath, bin, ...quiet].map((arg) => `'${arg}'`).join(' ');
    const child = spawn('script', ['-qec', `exec ${command}`, '/dev/null'], { stdio: 'pipe' });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
          if (output.includes('root started')) resolve();
        });
        void exited.then(() => reject(new Error(`exited before starting: ${output}`)));
      });
      child.stdin.write('\x03'); // Ctrl-C, turned into SIGINT by the terminal
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const plain = stripVTControlCharacters(output);
    expect(plain).toMatch(/INFO \(p2p-root\): root started/);
    expect(plain).toMatch(/INFO \(p2p-root\): shutting down/);
    expect(plain).toMatch(/INFO \(p2p-root\): root stopped/);
    expect(plain).not.toContain('{"level"');
  });
});
