import type { BedHost } from './bed.js';
import { NsProcess } from './ns-process.js';
import { built } from './programs.js';

/** How long a program may take to start (node's start-up on a loaded 2-core machine). */
const START_MS = 30_000;

export interface StandbyRootOptions {
  /** The PostgreSQL URL the roots share. */
  db: string;
  /**
   * The address to listen on once it leads, `HOST:PORT`: a fixed port, known to the peers before
   * any root listens (a standby listens on nothing).
   */
  listen: string;
  /** The admin HTTP address, on the host's loopback: a fixed port, so that a health check finds it. */
  http: string;
}

/**
 * `p2p-root --standby` on a host, on a PostgreSQL database it shares with other roots: it waits as
 * a standby (`/healthz` 503) until it holds the database's leadership, then serves (`/healthz` 200
 * `ok leader term N`).
 */
export class StandbyRootProgram {
  readonly host: BedHost;
  readonly process: NsProcess;
  readonly http: string;

  private constructor(host: BedHost, options: StandbyRootOptions, extra: readonly string[]) {
    this.host = host;
    this.http = options.http;
    this.process = new NsProcess(
      `root on ${host.name}`,
      host.namespace,
      built('@p2p/root-server', 'bin.js'),
      [
        '--standby',
        '--db',
        options.db,
        '--listen',
        options.listen,
        '--http',
        options.http,
        '--timings',
        'fast',
        '--log-level',
        'info',
        ...extra,
      ],
    );
  }

  /** Starts it; resolves once it waits as a standby (every such root does first, even the leader). */
  static async start(
    host: BedHost,
    options: StandbyRootOptions,
    extra: readonly string[] = [],
  ): Promise<StandbyRootProgram> {
    const root = new StandbyRootProgram(host, options, extra);
    await root.#log('standby: waiting to lead', START_MS);
    return root;
  }

  /** Resolves with the `leading` log line (term, address) once it leads; rejects after `ms`. */
  leading(ms: number): Promise<Record<string, unknown>> {
    return this.#log('leading', ms);
  }

  /** How many log lines with this message it wrote. */
  logged(msg: string): number {
    return this.process.logs.filter((log) => log.msg === msg).length;
  }

  #log(msg: string, ms: number): Promise<Record<string, unknown>> {
    return this.process.until(
      `log "${msg}"`,
      () => this.process.logs.find((log) => log.msg === msg),
      ms,
    );
  }
}
