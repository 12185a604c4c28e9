import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  EXIT_CODES,
  ExitCode,
  exitCodeFor,
  ROOT_ERROR_CODES,
  ROOT_STORE_ERROR_CODES,
  RootError,
  storeError,
} from '../src/index.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function p2pRoot(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, P2P_LOG_FORMAT: 'json', ...env },
  });
}

/** An error of one of the packages: what matters to the table is its `code`. */
const coded = (code: string) => Object.assign(new Error('no'), { code });

describe('exitCodeFor: the one table from error codes to exit codes', () => {
  it('bad usage is 2, a failure at run time 1, help and version 0', () => {
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', ''))).toBe(ExitCode.Ok);
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', ''))).toBe(ExitCode.Usage);
    for (const code of [
      'ERR_CLI_USAGE',
      'ERR_CODEC_ADDRESS',
      'ERR_STREAM_INVALID_ARGUMENT',
      'ERR_PEER_INVALID_OPTIONS',
      'ERR_PEER_NO_ADVERTISE_ADDRESS',
    ])
      expect([code, exitCodeFor(coded(code))]).toEqual([code, ExitCode.Usage]);
    for (const code of [
      'ERR_PEER_ROOT_UNREACHABLE',
      'ERR_STREAM_LISTEN',
      'ERR_ROOT_HTTP_LISTEN',
      'ERR_ROOT_STORE_LOCKED',
      'ERR_CODEC_TRUNCATED',
      'ERR_CLI_FAILED',
    ])
      expect([code, exitCodeFor(coded(code))]).toEqual([code, ExitCode.Failure]);
    expect(exitCodeFor(new Error('anything else'))).toBe(ExitCode.Failure);
    expect(exitCodeFor(coded('toString'))).toBe(ExitCode.Failure);
  });

  it('is keyed by the codes with their package prefix only: an unprefixed code is 1', () => {
    expect(
      Object.keys(EXIT_CODES).filter((code) => !/^ERR_(CODEC|STREAM|PEER|ROOT|CLI)_/.test(code)),
    ).toEqual([]);
    expect(exitCodeFor(coded('ERR_ADDRESS'))).toBe(ExitCode.Failure);
    expect(exitCodeFor(coded('ERR_USAGE'))).toBe(ExitCode.Failure);
  });

  it('has a row for every code of the root server: a bad option 2, every failure 1', () => {
    for (const code of ROOT_ERROR_CODES) {
      expect([code, Object.hasOwn(EXIT_CODES, code)]).toEqual([code, true]);
      const expected = code === 'ERR_ROOT_INVALID_OPTION' ? ExitCode.Usage : ExitCode.Failure;
      expect([code, exitCodeFor(new RootError(code, 'no'))]).toEqual([code, expected]);
    }
    for (const code of ROOT_STORE_ERROR_CODES)
      expect([code, exitCodeFor(storeError(code, 'postgres://db/p2p', 'no'))]).toEqual([
        code,
        ExitCode.Failure,
      ]);
  });
});

describe('p2p-root reports what was wrong and what to do, with the exit code of the table', () => {
  it('a bad value in an environment variable: 2, naming the variable', () => {
    const result = p2pRoot([], { P2P_LISTEN: 'bogus' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("value 'bogus' from env 'P2P_LISTEN' is invalid");
    expect(result.stderr).toContain('expected HOST:PORT');
  });

  it.each([
    [['--advertise', '0.0.0.0:5353'], 'cannot advertise 0.0.0.0'],
    [['--advertise', 'nowhere'], 'expected HOST:PORT, the address peers reach the root at'],
  ])(
    'an address peers cannot dial as --advertise (%j): 2, saying what to give',
    (args, message) => {
      const result = p2pRoot([...args, '--listen', '127.0.0.1:0', '--db', ':memory:']);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(message);
    },
  );

  it('a mistyped flag: 2, unknown option', () => {
    const result = p2pRoot(['--lisen', '127.0.0.1:0']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown option '--lisen'");
  });

  it('an admin HTTP port in use: 1, said in words rather than EADDRINUSE', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = p2pRoot([
        '--listen',
        '127.0.0.1:0',
        '--db',
        ':memory:',
        '--http',
        `127.0.0.1:${port}`,
      ]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        `p2p-root: cannot serve admin HTTP on 127.0.0.1:${port}: the address is already in use; pick another port`,
      );
      expect(result.stderr).toContain('"code":"ERR_ROOT_HTTP_LISTEN"');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
