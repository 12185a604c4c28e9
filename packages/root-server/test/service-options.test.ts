import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  addRootServiceOptions,
  DEFAULT_FORGET_AFTER,
  type RootServiceFlags,
  rootServerOptionsFrom,
} from '../src/index.js';

function parse(args: string[], env: Record<string, string> = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const command = addRootServiceOptions(
      new Command('p2p-root').exitOverride().configureOutput({ writeErr: () => {} }),
    );
    command.parse(args, { from: 'user' });
    return rootServerOptionsFrom(command.opts<RootServiceFlags>());
  } finally {
    process.env = saved;
  }
}

describe('the root service flags', () => {
  it('have safe defaults', () => {
    expect(parse([])).toMatchObject({
      listen: '127.0.0.1:5353',
      http: '127.0.0.1:8080',
      store: 'p2p-root.db',
      framing: 'binary',
      maxRegistered: 100_000,
    });
    expect(parse([])).not.toHaveProperty('verifySourceIp'); // auto: decided from the listen address
    expect(parse([])).not.toHaveProperty('forgetAfter'); // the root's own default
  });

  it('turn the lossless extension off with --no-lossless or P2P_LOSSLESS=0, and leave it on otherwise', () => {
    expect(parse([])).not.toHaveProperty('lossless');
    expect(parse(['--no-lossless'])).toMatchObject({ lossless: false });
    expect(parse([], { P2P_LOSSLESS: '0' })).toMatchObject({ lossless: false });
    expect(parse([], { P2P_LOSSLESS: '1' })).not.toHaveProperty('lossless');
    expect(() => parse([], { P2P_LOSSLESS: 'no' })).toThrow();
  });

  it('--help says the default --forget-after the root applies', () => {
    const help = addRootServiceOptions(new Command('p2p-root')).helpInformation();
    expect(help.replace(/\s+/g, ' ')).toContain(`(default: ${DEFAULT_FORGET_AFTER}, a day)`);
    expect(DEFAULT_FORGET_AFTER).toBe(24 * 60 * 60 * 1000);
  });

  it('turn into server options, hardening included', () => {
    expect(
      parse([
        '--http',
        'off',
        '--timings',
        'fast',
        '--root-timeout',
        '5000',
        '--source-ip-check',
        'on',
        '--max-registered',
        '50',
      ]),
    ).toMatchObject({
      http: null,
      timings: { helloInterval: 250, rootTimeout: 5000 },
      verifySourceIp: true,
      maxRegistered: 50,
    });
  });

  it('no longer take --refuse-unplaced-joins (the root always refuses unplaced Joins)', () => {
    expect(() => parse(['--refuse-unplaced-joins'])).toThrow();
  });

  it('read the environment when a flag is absent', () => {
    expect(
      parse([], { P2P_LISTEN: '0.0.0.0:7000', P2P_SOURCE_IP_CHECK: 'off', P2P_DB: ':memory:' }),
    ).toMatchObject({
      listen: '0.0.0.0:7000',
      verifySourceIp: false,
      store: ':memory:',
    });
  });

  it('set the time after which silent registrations are forgotten', () => {
    expect(parse(['--forget-after', '3600000'])).toMatchObject({ forgetAfter: 3_600_000 });
    expect(parse([], { P2P_FORGET_AFTER: 'never' })).toMatchObject({
      forgetAfter: Number.POSITIVE_INFINITY,
    });
    expect(() => parse(['--forget-after', '1h'])).toThrow(/whole number of milliseconds/);
  });

  it('refuse bad values', () => {
    expect(() => parse(['--max-registered', '0'])).toThrow(/at least 1/);
    expect(() => parse(['--source-ip-check', 'maybe'])).toThrow(/Allowed choices/);
  });

  it('take the address the root names itself by, from --advertise or P2P_ADVERTISE', () => {
    expect(parse([])).not.toHaveProperty('advertise'); // the listening address
    expect(parse(['--listen', '0.0.0.0:5353', '--advertise', '203.0.113.5:5353'])).toMatchObject({
      listen: '0.0.0.0:5353',
      advertise: '203.0.113.5:5353',
    });
    expect(parse([], { P2P_ADVERTISE: '203.0.113.5:0' })).toMatchObject({
      advertise: '203.0.113.5:0',
    });
    expect(() => parse(['--advertise', 'example.org'])).toThrow(
      /argument 'example.org' is invalid. expected HOST:PORT, the address peers reach the root at/,
    );
    expect(() => parse(['--advertise', '0.0.0.0:5353'])).toThrow(
      /cannot advertise 0.0.0.0: it names every interface of a machine/,
    );
  });
});
