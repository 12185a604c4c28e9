import { describe, expect, it } from 'vitest';
import { runP2p } from './processes.js';

describe('usage errors exit 2 with a useful message', () => {
  it.each([
    [['peer'], "required option '--root <host:port[,host:port…]>' not specified"],
    [['peer', '--root', 'nowhere'], 'invalid root address'],
    [['peer', '--root', '127.0.0.1:5353', '--framing', 'xml'], "argument 'xml' is invalid"],
    [
      ['peer', '--root', '127.0.0.1:5353', '--source-ip-check', 'maybe'],
      "argument 'maybe' is invalid",
    ],
    [['demo', '--peers', '0'], 'expected a whole number from 1 to 2000'],
    [['demo', '--peers', '2001'], 'expected a whole number from 1 to 2000'],
    [['root', '--window', '0'], 'expected a whole number from 1 to 1024'],
    // Decimal digits only: hex, exponents and signs are not taken for numbers.
    [['root', '--window', '0x10'], 'expected a whole number from 1 to 1024'],
    [['root', '--max-registered', '1e3'], 'expected a whole number, at least 1'],
    [['decode', '00', '--max-body', '-1'], 'expected a whole number of bytes, at least 0'],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['decode', 'xyz'], 'not hex'],
    [
      ['peer', '--root', '127.0.0.1:5353', '--join-timeout', '2147483648'],
      'expected a whole number of milliseconds from 1 to 2147483647',
    ],
    [
      ['peer', '--root', '127.0.0.1:0', '--listen', '0.0.0.0:0'],
      'invalid root address 127.0.0.1:0: give the port the root listens on, not 0',
    ],
    [['peer', '--root', '0.0.0.0:5353'], 'give 127.0.0.1:5353 for a root on this machine'],
    [
      ['peer', '--root', '127.0.0.1:5353,0.0.0.0:5354'],
      'give 127.0.0.1:5354 for a root on this machine',
    ],
    [['peer', '--root', '127.0.0.1:5353,127.0.0.1:0'], 'invalid root address 127.0.0.1:0'],
    [
      ['peer', '--root', '127.0.0.1:5353', '--advertise', '0.0.0.0:7000'],
      'cannot advertise 0.0.0.0',
    ],
    [['root', '--db', ':memory:', '--advertise', '0.0.0.0:5353'], 'cannot advertise 0.0.0.0'],
    [
      ['root', '--db', ':memory:', '--advertise', 'example.org'],
      'expected HOST:PORT, the address peers reach the root at',
    ],
  ])('p2p %j', async (args, message) => {
    const { code, stderr } = await runP2p(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('--help explains every command with examples and exits 0', async () => {
    const { code, stdout } = await runP2p(['--help']);
    expect(code).toBe(0);
    for (const command of ['root', 'peer', 'demo', 'decode']) expect(stdout).toContain(command);
    const peerHelp = await runP2p(['peer', '--help']);
    expect(peerHelp.stdout).toContain('SendMessage <text>');
    expect(peerHelp.stdout).toContain('Examples:');
    expect(peerHelp.stdout).toContain('--no-lossless');
    expect(peerHelp.stdout.replace(/\s+/g, ' ')).toContain(
      "--source-ip-check <mode> refuse the lossless extension's packets",
    );
    const rootHelp = await runP2p(['root', '--help']);
    expect(rootHelp.stdout).toContain('--no-lossless');
  });

  it('a root that cannot open its store exits 1 and says why', async () => {
    const { code, stderr } = await runP2p([
      'root',
      '--listen',
      '127.0.0.1:0',
      '--http',
      'off',
      '--db',
      '/proc/version',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/database/);
  });
});
