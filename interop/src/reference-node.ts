import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { type WireViolation, wireViolations } from './wire-check.js';

const LAUNCHER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'launcher',
  'ref_node.py',
);
const PREFIX = '@interop ';

/** `127.0.0.1:5353` as the reference writes addresses: `127.000.000.001:05353`. */
export function referenceForm(address: string): string {
  const [host = '', port = ''] = address.split(':');
  const ip = host
    .split('.')
    .map((octet) => octet.padStart(3, '0'))
    .join('.');
  return `${ip}:${port.padStart(5, '0')}`;
}

/** A packet the reference's main loop handed to its packet handler. */
export interface Handled {
  type: number;
  version: number;
  /** The header source as the reference keeps it: `127.000.000.001:05353`. */
  source: string;
  body: string;
}

interface LauncherEvent {
  event: string;
  [field: string]: unknown;
}

export interface ReferenceNodeOptions {
  /** The reference's tree-p2p directory. */
  reference: string;
  /** The root's port on 127.0.0.1; omitted, this node is a reference root. */
  rootPort?: number;
  /** A name for failure messages and the output kept. */
  name: string;
}

/** Milliseconds a reference node gets to start listening (Python start-up on a loaded machine). */
const START_TIMEOUT = 20_000;

/**
 * One node of the reference implementation, run by our launcher as a child process on
 * 127.0.0.1 and a fresh port. Everything it reads and handles is kept (see launcher/ref_node.py)
 * and can be waited for; commands are typed on its standard input, kept open for its life.
 */
export class ReferenceNode extends EventEmitter<{ line: [string] }> {
  readonly name: string;
  readonly port: number;
  /** Every socket read of its server, as read. */
  readonly reads: Buffer[] = [];
  readonly handled: Handled[] = [];
  /** Its whole standard output and error, for the failure message. */
  readonly output: string[] = [];
  #child: ChildProcessWithoutNullStreams;
  #exited: Promise<void>;
  #died: string | undefined;
  #stopped = false;

  private constructor(name: string, port: number, child: ChildProcessWithoutNullStreams) {
    super();
    this.setMaxListeners(0);
    this.name = name;
    this.port = port;
    this.#child = child;
    this.#exited = once(child, 'exit').then(() => undefined);
    const onLine = (line: string): void => {
      this.output.push(line);
      if (line.startsWith(PREFIX)) this.#onEvent(JSON.parse(line.slice(PREFIX.length)));
      this.emit('line', line);
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
  }

  /** Starts a node on a fresh port; retries on another port if that one was taken meanwhile. */
  static async start(options: ReferenceNodeOptions): Promise<ReferenceNode> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const args = ['-u', LAUNCHER, '--reference', options.reference, '--port', String(port)];
      if (options.rootPort !== undefined) args.push('--root-port', String(options.rootPort));
      const child = spawn('python3', args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const node = new ReferenceNode(options.name, port, child);
      const started = await Promise.race([
        node
          .waitForLine((line) => line.includes('"event": "listening"'), START_TIMEOUT)
          .then(
            () => true,
            (error: Error) => error,
          ),
        node.#exited.then(() => false),
      ]);
      if (started === true) return node;
      lastError =
        started instanceof Error
          ? started
          : new Error(`${options.name} exited before listening:\n${node.output.join('\n')}`);
      await node.stop();
    }
    throw lastError;
  }

  /** Its server address as our nodes write it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  /** The error that killed its main loop, if one did (the process lives on, answering ACK). */
  get mainLoopDied(): string | undefined {
    return this.#died;
  }

  /** Its other threads that died of an exception (its server thread: it reads nothing after). */
  readonly threadsDied: string[] = [];

  /** Types a command, as its user would (`Register`, `Advertise`, `SendMessage <text>`). */
  type(command: string): void {
    this.#child.stdin.write(`${command}\n`);
  }

  /** Messages it handled, by body. */
  messages(): string[] {
    return this.handled.filter((packet) => packet.type === 4).map((packet) => packet.body);
  }

  /** Resolves once it has handled a packet for which `accept` holds; rejects after `timeoutMs`. */
  waitForHandled(accept: (packet: Handled) => boolean, timeoutMs: number): Promise<Handled> {
    const found = this.handled.find(accept);
    if (found !== undefined) return Promise.resolve(found);
    let result: Handled | undefined;
    return this.waitForLine(
      () => {
        result = this.handled.find(accept);
        return result !== undefined;
      },
      timeoutMs,
      'a packet handled',
    ).then(() => result as Handled);
  }

  /**
   * Resolves once it has handled the Join of the node at `address`: from then on it forwards
   * Messages to that node (it acts on packets every 2 s, when its main loop wakes).
   */
  waitForJoin(address: string, timeoutMs: number): Promise<Handled> {
    const source = referenceForm(address);
    return this.waitForHandled(
      (packet) => packet.type === 3 && packet.source === source,
      timeoutMs,
    );
  }

  /** Resolves once it has handled a Message with this text. */
  waitForMessage(text: string, timeoutMs: number): Promise<Handled> {
    return this.waitForHandled((packet) => packet.type === 4 && packet.body === text, timeoutMs);
  }

  /** Resolves with the first output line (kept or new) for which `accept` holds. */
  waitForLine(
    accept: (line: string) => boolean,
    timeoutMs: number,
    what = 'a line',
  ): Promise<void> {
    if (this.output.some(accept)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('line', onLine);
        reject(
          new Error(
            `${this.name} (pid ${this.pid}): no ${what} within ${timeoutMs} ms; its output:\n` +
              this.output.slice(-60).join('\n'),
          ),
        );
      }, timeoutMs);
      const onLine = (line: string): void => {
        if (!accept(line)) return;
        clearTimeout(timer);
        this.off('line', onLine);
        resolve();
      };
      this.on('line', onLine);
    });
  }

  /** What it read that it cannot take (see wire-check.ts); empty when every read was fine. */
  wireViolations(): WireViolation[] {
    return wireViolations(this.reads);
  }

  /**
   * Stops the process by its pid (SIGSTOP): it reads, handles and answers nothing until resumed.
   * Resolves once every thread of it is stopped: `kill` returns before that, and on a loaded
   * machine its server thread may still read (and acknowledge) for a while. Linux only.
   */
  async pause(timeoutMs = 10_000): Promise<void> {
    process.kill(this.pid, 'SIGSTOP');
    const tasks = `/proc/${this.pid}/task`;
    const stopped = () =>
      readdirSync(tasks).every((task) => {
        const stat = readFileSync(`${tasks}/${task}/stat`, 'latin1');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return state === 'T' || state === 't';
      });
    const deadline = Date.now() + timeoutMs;
    // No event tells a process has stopped (no waitpid with WUNTRACED in Node): look every 5 ms.
    while (!stopped()) {
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not stop within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Lets a paused process go on (SIGCONT). */
  resume(): void {
    process.kill(this.pid, 'SIGCONT');
  }

  /** Kills the process by its pid (SIGKILL: the reference handles no signal) and waits for it. */
  async stop(): Promise<void> {
    if (this.#stopped) return this.#exited;
    this.#stopped = true;
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      process.kill(this.pid, 'SIGKILL');
    }
    await this.#exited;
    this.#child.stdin.destroy();
  }

  #onEvent(event: LauncherEvent): void {
    if (event.event === 'recv') this.reads.push(Buffer.from(String(event.hex), 'hex'));
    else if (event.event === 'handle') this.handled.push(event as unknown as Handled);
    else if (event.event === 'main-loop-died') this.#died = String(event.error);
    else if (event.event === 'thread-died')
      this.threadsDied.push(`${String(event.thread)}: ${String(event.error)}`);
  }
}
