import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BedHost } from './bed.js';
import { ip } from './ip.js';

const run = promisify(execFile);

/** VRRP's virtual router MAC for router id 1 (RFC 5798 section 7.3): 00-00-5E-00-01-{VRID}. */
export const VRRP_MAC = '00:00:5e:00:01:01';

/**
 * One service address (a "virtual IP") that moves between hosts of the bed, the way keepalived
 * moves a VRRP address with `use_vmac`: on the host that holds it, a macvlan device on `eth0` with
 * VRRP's virtual MAC carries the address (as a /32, so routing is left as it was). The peers'
 * ARP caches keep the address at that MAC wherever it is; the switch learns the MAC's new port
 * from the gratuitous ARP the kernel sends when the device comes up (`arp_notify`). Without that
 * ARP the bridge keeps sending to the old host's port (tried: connections time out).
 */
export class ServiceAddress {
  /** The address, `10.213.0.250` say. */
  readonly address: string;
  /** The device that carries it on its holder. */
  readonly device: string;
  readonly #mac: string;
  #holder: BedHost | undefined;

  constructor(address: string, options: { device?: string; mac?: string } = {}) {
    this.address = address;
    this.device = options.device ?? 'vrrp0';
    this.#mac = options.mac ?? VRRP_MAC;
  }

  /** The host that holds the address now (as far as this object moved it). */
  get holder(): BedHost | undefined {
    return this.#holder;
  }

  /**
   * Readies a host that may hold the address: devices made from now on announce their addresses
   * when they come up (`arp_notify`), and the host answers an ARP request only on the device that
   * has the address asked for (`arp_ignore=1`: its own address is never given the virtual MAC).
   * keepalived's documentation asks the same of `use_vmac` hosts. With `nonlocalBind`, programs may
   * listen on the address before the host holds it (`ip_nonlocal_bind`).
   */
  async prepare(host: BedHost, options: { nonlocalBind?: boolean } = {}): Promise<void> {
    await sysctl(host, {
      'net/ipv4/conf/default/arp_notify': '1',
      'net/ipv4/conf/all/arp_ignore': '1',
      ...(options.nonlocalBind === true ? { 'net/ipv4/ip_nonlocal_bind': '1' } : {}),
    });
  }

  /** Puts the address on `host`, taking it from the host that held it first. */
  async moveTo(host: BedHost): Promise<void> {
    if (this.#holder?.namespace === host.namespace) return;
    await this.release();
    const ns = host.namespace;
    await ip(
      '-n',
      ns,
      'link',
      'add',
      this.device,
      'link',
      host.device,
      'type',
      'macvlan',
      'mode',
      'bridge',
    );
    this.#holder = host;
    await ip('-n', ns, 'link', 'set', this.device, 'address', this.#mac);
    await ip('-n', ns, 'addr', 'add', `${this.address}/32`, 'dev', this.device);
    // Up last: the kernel announces the address (a gratuitous ARP from the virtual MAC) now.
    await ip('-n', ns, 'link', 'set', this.device, 'up');
  }

  /** Takes the address off the host that holds it (deleting the device). */
  async release(): Promise<void> {
    const holder = this.#holder;
    if (holder === undefined) return;
    await ip('-n', holder.namespace, 'link', 'del', this.device);
    this.#holder = undefined;
  }
}

/** Writes kernel settings inside a host's namespace (/proc/sys/net belongs to the writer's namespace). */
async function sysctl(host: BedHost, settings: Record<string, string>): Promise<void> {
  const script =
    "const fs = require('node:fs'); const s = JSON.parse(process.argv[1]);" +
    "for (const [k, v] of Object.entries(s)) fs.writeFileSync('/proc/sys/' + k, v);";
  await run(
    'ip',
    ['netns', 'exec', host.namespace, process.execPath, '-e', script, JSON.stringify(settings)],
    { timeout: 15_000 },
  );
}
