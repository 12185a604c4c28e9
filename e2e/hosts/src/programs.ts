import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BedHost } from './bed.js';
import { type JsonEvent, NsProcess } from './ns-process.js';

const require = createRequire(import.meta.url);

/** A built program of a workspace package (its `dist/`); throws when it is not built. */
export function built(pkg: string, file: string): string {
  const path = join(dirname(require.resolve(`${pkg}/package.json`)), 'dist', file);
  if (!existsSync(path))
    throw Object.assign(new Error(`${path} is missing: build the repository first (pnpm build)`), {
      code: 'ERR_NOT_BUILT',
    });
  return path;
}

/** A helper program of this package, built (tests import the sources, programs run the build). */
const helper = (file: string) => built('@p2p/e2e-hosts', file);

/** How long a program may take to start (node's start-up on a loaded 2-core machine). */
const START_MS = 30_000;

/** The `p2p-root` service on a host: store in memory, admin HTTP on the host's loopback. */
export class RootProgram {
  readonly process: NsProcess;
  /** The root's TCP address, `HOST:PORT`. */
  address = '';
  /** The admin HTTP address, on the root host's loopback only. */
  http = '';

  private constructor(host: BedHost, extra: readonly string[]) {
    this.process = new NsProcess('root', host.namespace, built('@p2p/root-server', 'bin.js'), [
      '--listen',
      `${host.address}:0`,
      '--http',
      '127.0.0.1:0',
      '--db',
      ':memory:',
      '--timings',
      'fast',
      '--log-level',
      'info',
      ...extra,
    ]);
  }

  static async start(host: BedHost, extra: readonly string[] = []): Promise<RootProgram> {
    const root = new RootProgram(host, extra);
    const started = await root.process.until(
      'root started',
      () => root.process.logs.find((log) => log.msg === 'root started'),
      START_MS,
    );
    root.address = String(started.address);
    root.http = String(started.http);
    return root;
  }
}

/** A `p2p peer --json` on a host, listening on the host's address. */
export class PeerProgram {
  readonly process: NsProcess;
  readonly host: BedHost;
  /** Its address as it reported it (`started`). */
  address = '';

  private constructor(host: BedHost, root: string, label: string) {
    this.host = host;
    this.process = new NsProcess(label, host.namespace, built('@p2p/cli', 'bin.js'), [
      'peer',
      '--root',
      root,
      '--listen',
      `${host.address}:0`,
      '--timings',
      'fast',
      '--json',
    ]);
  }

  static async start(host: BedHost, root: string, label: string): Promise<PeerProgram> {
    const peer = new PeerProgram(host, root, label);
    const started = await peer.process.waitFor((e) => e.event === 'started', START_MS);
    peer.address = String(started.address);
    return peer;
  }

  /** The last parent it reported (null when it left the tree or never joined). */
  get parent(): string | null {
    const last = this.process.events.filter((e) => e.event === 'parent').at(-1);
    return last === undefined ? null : (last.parent as string | null);
  }

  /** Its children as it reported them (`child-joined`, `child-left`). */
  get children(): Set<string> {
    const children = new Set<string>();
    for (const e of this.process.events) {
      if (e.event === 'child-joined') children.add(String(e.child));
      else if (e.event === 'child-left') children.delete(String(e.child));
    }
    return children;
  }

  /** The messages it delivered with this text. */
  received(text: string): JsonEvent[] {
    return this.process.events.filter((e) => e.event === 'message' && e.text === text);
  }

  /**
   * Types `SendMessage text`; resolves with the `sent` reply. The reply waits for every neighbour's
   * acknowledgement, up to the transport's 10 s ACK timeout when one is cut off, and the shell
   * takes the next command only after it: where a neighbour may be unreachable, use `send`.
   */
  async broadcast(text: string): Promise<JsonEvent> {
    const after = this.process.events.length;
    this.send(text);
    return this.process.waitFor((e) => e.event === 'sent' && e.text === text, 30_000, after);
  }

  /** Types `SendMessage text` without waiting for the reply. */
  send(text: string): void {
    this.process.send(`SendMessage ${text}`);
  }
}

/** An HTTP client inside a namespace (probe.ts), for the root's admin API on that namespace's loopback. */
export class HttpProbe {
  readonly process: NsProcess;
  #next = 0;

  constructor(host: BedHost) {
    this.process = new NsProcess('http probe', host.namespace, helper('probe.js'), []);
  }

  /** GETs `url` from inside the namespace; resolves with status and body. */
  async get(url: string): Promise<{ status: number; body: string }> {
    const id = this.#next++;
    this.process.send(JSON.stringify({ id, url }));
    const answer = await this.process.waitFor(
      (e) => e.event === 'response' && e.id === id,
      START_MS,
    );
    if (typeof answer.error === 'string') throw new Error(`GET ${url}: ${answer.error}`);
    return { status: Number(answer.status), body: String(answer.body) };
  }

  async json<T>(url: string): Promise<T> {
    const { status, body } = await this.get(url);
    if (status !== 200) throw new Error(`GET ${url}: ${status} ${body}`);
    return JSON.parse(body) as T;
  }
}

/** Sends one hand-made Register request to the root from a host (register-client.ts). */
export function registerClient(
  host: BedHost,
  root: string,
  claim: string,
  listen: boolean,
): NsProcess {
  return new NsProcess(
    `register client on ${host.name}`,
    host.namespace,
    helper('register-client.js'),
    listen ? [root, claim, host.address] : [root, claim],
  );
}
