import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CodecError } from '@p2p/codec';
import { PeerError } from '@p2p/peer';
import { StreamError } from '@p2p/stream';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  AdminHttpError,
  ExitCode,
  exitCodeFor,
  ROOT_STORE_ERROR_CODES,
  RootStoreError,
} from '../src/index.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function p2pRoot(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, P2P_LOG_FORMAT: 'json', ...env },
  });
}

describe('exitCodeFor: the one table from errors to exit codes', () => {
  it('bad usage is 2, a failure at run time 1, help and version 0', () => {
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', ''))).toBe(ExitCode.Ok);
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', ''))).toBe(ExitCode.Usage);
    expect(exitCodeFor(new CodecError('ERR_ADDRESS', 'invalid address'))).toBe(ExitCode.Usage);
    expect(exitCodeFor(new PeerError('ERR_PEER_INVALID_OPTIONS', 'no'))).toBe(ExitCode.Usage);
    expect(exitCodeFor(new PeerError('ERR_PEER_ROOT_UNREACHABLE', 'no'))).toBe(ExitCode.Failure);
    expect(exitCodeFor(new StreamError('ERR_LISTEN', 'in use'))).toBe(ExitCode.Failure);
    expect(exitCodeFor(new AdminHttpError('ERR_HTTP_LISTEN', 'in use'))).toBe(ExitCode.Failure);
    expect(exitCodeFor(new RootStoreError('ERR_STORE_LOCKED', 'x', 'locked'))).toBe(
      ExitCode.Failure,
    );
    expect(exitCodeFor(new Error('anything else'))).toBe(ExitCode.Failure);
  });

  it('every store error, SQLite or PostgreSQL (unreachable, credentials, fenced…), is 1', () => {
    for (const code of ROOT_STORE_ERROR_CODES) {
      expect([code, exitCodeFor(new RootStoreError(code, 'postgres://db/p2p', 'no'))]).toEqual([
        code,
        ExitCode.Failure,
      ]);
    }
    expect(ROOT_STORE_ERROR_CODES).toEqual(
      expect.arrayContaining(['ERR_STORE_UNREACHABLE', 'ERR_STORE_AUTH', 'ERR_STORE_FENCED']),
    );
  });
});

describe('p2p-root reports what was wrong and what to do, with the exit code of the table', () => {
  it('a bad value in an environment variable: 2, naming the variable', () => {
    const result = p2pRoot([], { P2P_LISTEN: 'bogus' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("value 'bogus' from env 'P2P_LISTEN' is invalid");
    expect(result.stderr).toContain('expected HOST:PORT');
  });

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
      expect(result.stderr).toContain('"code":"ERR_HTTP_LISTEN"');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
