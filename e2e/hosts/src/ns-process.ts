import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export type JsonEvent = Record<string, unknown> & { event: string };

/** A JSON object line, or undefined for anything else (a stray message, a partial write). */
function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Every process started here, so that a run can check none is left at its end. */
const started = new Set<NsProcess>();

/** The processes started in namespaces that have not exited (by pid). */
export function runningProcesses(): number[] {
  return [...started].filter((p) => p.running).map((p) => p.pid);
}

/** Stops every process started here that still runs (a test that failed half-way left them). */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((p) => p.stop()));
}

/**
 * A Node.js program running inside a network namespace (`ip netns exec NS node SCRIPT ARGS`, no
 * shell; `ip` execs node, so the child's pid is node's). Standard output is read as JSON lines,
 * one event each; standard error is kept for failure messages.
 */
export class NsProcess {
  readonly label: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** JSON lines of standard output. */
  readonly events: JsonEvent[] = [];
  /** JSON lines of standard error (pino logs: `msg` and fields). */
  readonly logs: Record<string, unknown>[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  #waiters = new Set<() => void>();

  constructor(label: string, namespace: string, script: string, args: readonly string[]) {
    this.label = label;
    this.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, script, ...args], {
      stdio: 'pipe',
    });
    started.add(this);
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    let partial = '';
    this.child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const event = parseLine(line);
        if (event !== undefined) this.events.push(event as JsonEvent);
      }
      this.#wake();
    });
    let partialError = '';
    this.child.stderr.on('data', (chunk: string) => {
      // Keep the tail only: a peer logging for minutes must not grow without bound.
      this.stderr = (this.stderr + chunk).slice(-20_000);
      const lines = (partialError + chunk).split('\n');
      partialError = lines.pop() ?? '';
      for (const line of lines) {
        const log = parseLine(line);
        if (log !== undefined) this.logs.push(log);
      }
      this.#wake();
    });
    // Writing to a process that just died must not throw out of the test.
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => this.#wake());
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Resolves when `check` holds, re-checked on every line of output; rejects after `ms` (or when
   * the process exits first) with `what` and the process's standard error in the message.
   */
  until<T>(what: string, check: () => T | undefined | false, ms: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const test = () => {
        const value = check();
        if (value !== undefined && value !== false) {
          done();
          resolve(value);
        } else if (!this.running) {
          done();
          reject(
            new Error(`${this.label} exited while waiting for ${what}; stderr: ${this.stderr}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no ${what} within ${ms} ms; stderr: ${this.stderr}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(test);
      };
      this.#waiters.add(test);
      test();
    });
  }

  /** The first event from index `after` on that matches. */
  waitFor(match: (e: JsonEvent) => boolean, ms: number, after = 0): Promise<JsonEvent> {
    return this.until('matching event', () => this.events.slice(after).find(match), ms);
  }

  /** Writes a line to standard input. */
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  count(match: (e: JsonEvent) => boolean): number {
    return this.events.filter(match).length;
  }

  /** Stops it with `signal` (SIGTERM by default), SIGKILL after `graceMs`; resolves when it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3_000): Promise<void> {
    if (this.running) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
  }
}
