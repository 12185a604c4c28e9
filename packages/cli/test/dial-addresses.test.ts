import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { dialAddresses, dialNote } from '../src/dial-addresses.js';

const info = (address: string, internal = false, family: 'IPv4' | 'IPv6' = 'IPv4') =>
  ({ address, internal, family }) as NetworkInterfaceInfo;

describe('what to dial a server on 0.0.0.0 at', () => {
  const interfaces = {
    lo: [info('127.0.0.1', true)],
    eth0: [info('192.168.1.10'), info('fe80::1', false, 'IPv6')],
    wlan0: [info('10.0.0.7')],
  };

  it('loopback from this machine, and its IPv4 addresses from others', () => {
    const dial = dialAddresses('0.0.0.0:5353', interfaces);
    expect(dial).toEqual(['127.0.0.1:5353', '192.168.1.10:5353', '10.0.0.7:5353']);
    expect(dialNote('0.0.0.0:5353', dial)).toBe(
      ' (dial 127.0.0.1:5353 from this machine, 192.168.1.10:5353 or 10.0.0.7:5353 from others)',
    );
  });

  it("a machine with loopback only is told to use the machine's address", () => {
    const dial = dialAddresses('0.0.0.0:5353', { lo: [info('127.0.0.1', true)] });
    expect(dialNote('0.0.0.0:5353', dial)).toBe(
      " (dial 127.0.0.1:5353 from this machine, or this machine's address from others)",
    );
  });

  it('a concrete address is dialled as it is, with no note', () => {
    expect(dialAddresses('127.0.0.1:5353', interfaces)).toEqual(['127.0.0.1:5353']);
    expect(dialNote('127.0.0.1:5353', ['127.0.0.1:5353'])).toBe('');
  });
});
