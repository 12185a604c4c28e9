import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Topology } from '../src/index.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** The `p2p-root` service in a child process, as an operator runs it. */
export class RootProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly started: Promise<{ address: string; http: string }>;
  readonly exited: Promise<number | null>;
  stderr = '';

  /** `env` is added to this process's environment (e.g. `P2P_DB`). */
  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [bin, ...args], {
      stdio: 'pipe',
      env: { ...process.env, ...env },
    });
    this.child.stdout.resume();
    this.child.stderr.setEncoding('utf8');
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.started = new Promise((resolve, reject) => {
      this.child.stderr.on('data', (chunk: string) => {
        this.stderr += chunk;
        for (const line of this.stderr.split('\n')) {
          if (!line.includes('"root started"')) continue;
          const { address, http } = JSON.parse(line) as { address: string; http: string };
          resolve({ address, http });
        }
      });
      this.exited.then((code) =>
        reject(new Error(`p2p-root exited with ${code} before starting: ${this.stderr}`)),
      );
    });
    // A root expected to fail is awaited through `exited`; its `started` must not go unhandled.
    this.started.catch(() => {});
  }

  /** Resolves with the `nth` log line (JSON) whose `msg` is `msg`, from the start or later. */
  line(msg: string, nth = 1, ms = 20_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const find = () => {
        const found = this.stderr
          .split('\n')
          .filter((text) => text.includes(`"msg":${JSON.stringify(msg)}`));
        const text = found[nth - 1];
        if (text === undefined) return;
        done();
        resolve(JSON.parse(text) as Record<string, unknown>);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`p2p-root did not log "${msg}" within ${ms} ms: ${this.stderr}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.child.stderr.off('data', find);
      };
      this.child.stderr.on('data', find);
      find();
    });
  }

  async topology(): Promise<Topology> {
    const { http } = await this.started;
    return (await (await fetch(`http://${http}/api/topology`)).json()) as Topology;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
