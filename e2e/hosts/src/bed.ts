import { ip } from './ip.js';
import { runPrefix, type SweepReport, sweep, sweepSync } from './sweep.js';

/** One simulated machine: a namespace joined to the switch by a veth pair. */
export interface BedHost {
  /** The name the test gave it (`root`, `h1`…). */
  name: string;
  namespace: string;
  /** Its IPv4 address, in 10.213.0.0/16. */
  address: string;
  /** The veth end inside the host (`eth0`). */
  device: string;
  /** The veth end on the switch, a port of its bridge. */
  port: string;
}

export interface TestbedOptions {
  /** Host names, each made of letters and digits; the first gets 10.213.0.1, the next .2… */
  hosts: string[];
  /** Namespace name prefix (default: a fresh `p2pt-<pid>-<random>`). */
  prefix?: string;
}

const MAX_HOSTS = 250;

/** Exit codes of a process ended by a signal, as a shell reports them. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * A switch and hosts made of Linux network namespaces: the switch namespace holds a bridge, each
 * host namespace is joined to it by a veth pair (created inside the switch namespace, one end then
 * moved into the host) and has loopback up and one address in 10.213.0.0/16. Nothing is added to
 * the machine's own namespace. Everything goes at `destroy()`, and also when the process exits or
 * is interrupted (SIGINT, SIGTERM) before that.
 */
export class Testbed {
  readonly prefix: string;
  readonly switchNamespace: string;
  readonly hosts: readonly BedHost[];
  readonly #onExit = () => {
    sweepSync(`${this.prefix}-`);
  };
  readonly #onSignal = (signal: NodeJS.Signals) => {
    sweepSync(`${this.prefix}-`);
    process.exit(SIGNAL_EXIT[signal] ?? 1);
  };
  #destroyed: Promise<SweepReport> | undefined;

  private constructor(prefix: string, hosts: BedHost[]) {
    this.prefix = prefix;
    this.switchNamespace = `${prefix}-sw`;
    this.hosts = hosts;
    process.once('exit', this.#onExit);
    process.once('SIGINT', this.#onSignal);
    process.once('SIGTERM', this.#onSignal);
  }

  /** Makes the namespaces, the bridge and the links; on failure removes what it made, and throws. */
  static async create(options: TestbedOptions): Promise<Testbed> {
    if (options.hosts.length > MAX_HOSTS) throw new RangeError(`at most ${MAX_HOSTS} hosts`);
    for (const name of options.hosts) {
      if (!/^[a-z0-9]+$/i.test(name) || name === 'sw')
        throw new RangeError(`host name "${name}": letters and digits only, not "sw"`);
    }
    const prefix = options.prefix ?? runPrefix();
    const hosts = options.hosts.map(
      (name, i): BedHost => ({
        name,
        namespace: `${prefix}-${name}`,
        address: `10.213.0.${i + 1}`,
        device: 'eth0',
        port: `p${i + 1}`,
      }),
    );
    const bed = new Testbed(prefix, hosts);
    try {
      // A prefix given by the caller may have been used before by a run that was killed.
      await sweep(`${prefix}-`);
      await bed.#build();
    } catch (error) {
      await bed.destroy();
      throw error;
    }
    return bed;
  }

  host(name: string): BedHost {
    const host = this.hosts.find((h) => h.name === name);
    if (host === undefined) throw new RangeError(`no host "${name}" in this bed`);
    return host;
  }

  /** Cuts a host off: its port on the switch goes down (the host itself notices nothing). */
  async cut(name: string): Promise<void> {
    await ip('-n', this.switchNamespace, 'link', 'set', this.host(name).port, 'down');
  }

  /** Connects a cut host again. */
  async restore(name: string): Promise<void> {
    await ip('-n', this.switchNamespace, 'link', 'set', this.host(name).port, 'up');
  }

  /**
   * Removes every namespace of this bed (and with them the links), killing any process still
   * inside; resolves with what was still there. Idempotent.
   */
  destroy(): Promise<SweepReport> {
    this.#destroyed ??= sweep(`${this.prefix}-`).finally(() => {
      process.off('exit', this.#onExit);
      process.off('SIGINT', this.#onSignal);
      process.off('SIGTERM', this.#onSignal);
    });
    return this.#destroyed;
  }

  async #build(): Promise<void> {
    const sw = this.switchNamespace;
    await ip('netns', 'add', sw);
    await ip('-n', sw, 'link', 'set', 'lo', 'up');
    await ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', sw, 'link', 'set', 'br0', 'up');
    for (const host of this.hosts) {
      const moving = `m${host.port}`;
      await ip('netns', 'add', host.namespace);
      await ip('-n', host.namespace, 'link', 'set', 'lo', 'up');
      await ip('-n', sw, 'link', 'add', host.port, 'type', 'veth', 'peer', 'name', moving);
      await ip('-n', sw, 'link', 'set', moving, 'netns', host.namespace);
      await ip('-n', host.namespace, 'link', 'set', moving, 'name', host.device);
      await ip('-n', host.namespace, 'addr', 'add', `${host.address}/16`, 'dev', host.device);
      await ip('-n', host.namespace, 'link', 'set', host.device, 'up');
      await ip('-n', sw, 'link', 'set', host.port, 'master', 'br0');
      await ip('-n', sw, 'link', 'set', host.port, 'up');
    }
  }
}
