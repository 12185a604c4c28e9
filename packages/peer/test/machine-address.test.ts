import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { machineAddress } from '../src/core/advertise-address.js';

const info = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) =>
  ({ address, family, internal }) as NetworkInterfaceInfo;

describe("the address a node on 0.0.0.0 names itself by when no remote says (the root's origin)", () => {
  it("is this machine's first external IPv4 address, with the port", () => {
    const interfaces = {
      lo: [info('127.0.0.1', 'IPv4', true), info('::1', 'IPv6', true)],
      eth0: [info('fd00::2', 'IPv6', false), info('10.0.0.7', 'IPv4', false)],
      eth1: [info('192.168.1.7', 'IPv4', false)],
    };
    expect(machineAddress(5353, interfaces)).toEqual({ host: '10.0.0.7', port: 5353 });
  });

  it('is 127.0.0.1 on a machine with loopback only', () => {
    expect(machineAddress(5353, { lo: [info('127.0.0.1', 'IPv4', true)] })).toEqual({
      host: '127.0.0.1',
      port: 5353,
    });
  });
});
