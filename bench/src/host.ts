import { type ChildProcess, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RootServer } from '@p2p/root-server';
import type { FromWorker, HostAnswer, HostNotice, HostRequest } from './host-protocol.js';
import { PeerHost } from './peer-host.js';

/** Where a share of the network runs: this process, or a worker process reached over IPC. */
export interface Host {
  readonly id: number;
  /** The nodes on this host. */
  readonly addresses: string[];
  /** The IP its peers listen on. */
  readonly listenHost: string;
  request<T extends HostAnswer>(request: HostRequest): Promise<T>;
  /** Sends a signal to the worker process (SIGKILL, SIGSTOP); not possible in-process. */
  signal(signal: NodeJS.Signals): void;
  close(): Promise<void>;
}

/** The main process's own share, the root included. */
export class LocalHost implements Host {
  readonly id: number;
  readonly listenHost: string;
  readonly addresses: string[] = [];
  readonly peers: PeerHost;

  constructor(
    id: number,
    onNotice: (host: number, notice: HostNotice) => void,
    listenHost = '127.0.0.1',
  ) {
    this.id = id;
    this.listenHost = listenHost;
    this.peers = new PeerHost((notice) => onNotice(id, notice));
  }

  addRoot(root: RootServer): void {
    this.peers.addRoot(root);
    this.addresses.push(root.address);
  }

  async request<T extends HostAnswer>(request: HostRequest): Promise<T> {
    const answer = (await this.peers.handle(request)) as T;
    if (request.op === 'start') this.addresses.push(...(answer as string[]));
    return answer;
  }

  signal(signal: NodeJS.Signals): void {
    throw new Error(`cannot send ${signal} to the main process's own peers`);
  }

  close(): Promise<void> {
    return this.peers.close();
  }
}

const workerScript = new URL('./worker.ts', import.meta.url);

/** A worker process (worker.ts) running a share of the peers. */
export class WorkerHost implements Host {
  readonly id: number;
  readonly listenHost: string;
  readonly addresses: string[] = [];
  readonly #child: ChildProcess;
  readonly #calls = new Map<number, { resolve(a: HostAnswer): void; reject(e: Error): void }>();
  readonly #exited: Promise<void>;
  #next = 0;

  private constructor(id: number, child: ChildProcess, listenHost: string) {
    this.id = id;
    this.listenHost = listenHost;
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * Forks a worker (with this process's loader flags, so TypeScript runs) and waits until it is
   * ready. With `place`, the worker runs inside that network namespace (`ip netns exec`, which
   * execs node: the IPC channel and the pid are node's) and its peers listen on its address.
   */
  static async start(
    id: number,
    onNotice: (host: number, notice: HostNotice) => void,
    place?: { namespace: string; address: string },
  ): Promise<WorkerHost> {
    const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
    const child =
      place === undefined
        ? fork(workerScript, [], { stdio })
        : spawn(
            'ip',
            [
              'netns',
              'exec',
              place.namespace,
              process.execPath,
              ...process.execArgv,
              fileURLToPath(workerScript),
            ],
            { stdio },
          );
    const host = new WorkerHost(id, child, place?.address ?? '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`worker ${id} exited before it was ready (${code})`));
      };
      child.once('exit', onExit);
      child.on('message', (message: FromWorker) => {
        if ('ready' in message) {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve();
        } else if ('notice' in message) onNotice(id, message);
        else host.#settle(message);
      });
    });
    child.once('exit', () => {
      for (const call of host.#calls.values()) call.reject(new Error(`worker ${id} exited`));
      host.#calls.clear();
    });
    return host;
  }

  async request<T extends HostAnswer>(request: HostRequest): Promise<T> {
    const id = this.#next++;
    const answer = await new Promise<HostAnswer>((resolve, reject) => {
      if (!this.#child.connected) {
        reject(new Error(`worker ${this.id} is gone`));
        return;
      }
      this.#calls.set(id, { resolve, reject });
      this.#child.send({ id, request });
    });
    if (request.op === 'start') this.addresses.push(...(answer as string[]));
    return answer as T;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
  }

  /** Closes the worker's peers and waits for it to exit (SIGKILL after 5 s). */
  async close(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGCONT');
      if (this.#child.connected) this.#child.disconnect();
      const timer = setTimeout(() => this.signal('SIGKILL'), 5_000);
      await this.#exited;
      clearTimeout(timer);
    }
  }

  #settle(message: Exclude<FromWorker, HostNotice | { ready: true }>): void {
    const call = this.#calls.get(message.id);
    if (call === undefined) return;
    this.#calls.delete(message.id);
    if ('error' in message) call.reject(new Error(`worker ${this.id}: ${message.error}`));
    else call.resolve(message.answer);
  }
}
