import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/peer-process.mjs', import.meta.url));

export type PeerEvent = { event: string } & Record<string, unknown>;

/** A peer running in a child process, its events read from its standard output. */
export class PeerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly events: PeerEvent[] = [];
  readonly exited: Promise<void>;
  address = '';
  #wake = new Set<() => void>();
  #stderr = '';

  /** `lossless`: the options of the lossless extension (`Peer.start`), the defaults if left out. */
  constructor(root: string, timings: object, lossless?: object) {
    const args = [fixture, root, JSON.stringify(timings)];
    if (lossless !== undefined) args.push(JSON.stringify(lossless));
    this.child = spawn(process.execPath, args, { stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    let partial = '';
    this.child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line) as PeerEvent;
        if (event.event === 'started') this.address = String(event.address);
        this.events.push(event);
      }
      for (const wake of this.#wake) wake();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** The last parent it reported (null when detached or not yet attached). */
  get parent(): string | null {
    const last = this.events.filter((e) => e.event === 'parent').at(-1);
    return last === undefined ? null : (last.parent as string | null);
  }

  /** Its children as it last reported them (neighbour events): those it forwards Messages to. */
  get children(): Set<string> {
    const children = new Set<string>();
    for (const e of this.events) {
      if (e.role !== 'child') continue;
      if (e.event === 'neighbour-added') children.add(e.neighbour as string);
      else if (e.event === 'neighbour-removed') children.delete(e.neighbour as string);
    }
    return children;
  }

  /** Resolves when `check` holds, re-checked on every event; rejects after `ms`. */
  until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const test = () => {
        if (!check()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`${this.address}: timed out waiting for ${what}; stderr: ${this.#stderr}`),
        );
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.#wake.delete(test);
      };
      this.#wake.add(test);
      test();
    });
  }

  count(event: string, match: (e: PeerEvent) => boolean = () => true): number {
    return this.events.filter((e) => e.event === event && match(e)).length;
  }

  broadcast(text: string): void {
    this.child.stdin.write(`${text}\n`);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
