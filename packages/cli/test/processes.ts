import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export type Event = Record<string, unknown> & { event: string };

/** A `p2p` process (or another Node script) whose standard output is read as JSON lines. */
export class P2pProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly events: Event[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  #waiters = new Set<() => void>();

  constructor(
    args: string[],
    script = bin,
    {
      env,
      launcher,
    }: { env?: Record<string, string>; launcher?: { command: string; args: string[] } } = {},
  ) {
    const options = {
      stdio: 'pipe' as const,
      ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
    };
    this.child = launcher
      ? spawn(launcher.command, launcher.args, options)
      : spawn(process.execPath, [script, ...args], options);
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    let partial = '';
    this.child.stdout.on('data', (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      this.events.push(...jsonEvents(lines.join('\n')));
      for (const wake of this.#waiters) wake();
    });
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
      for (const wake of this.#waiters) wake();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.exited.then(() => {
      for (const wake of this.#waiters) wake();
    });
  }

  /** Resolves with the first event (from `after` on) that matches; rejects after `ms`. */
  async waitFor(match: (e: Event) => boolean, ms = 15_000, after = 0): Promise<Event> {
    let found: Event | undefined;
    await this.until(() => {
      found = this.events.slice(after).find(match);
      return found !== undefined;
    }, ms);
    return found as Event;
  }

  /** Resolves when `check()` holds, checked again on every output; rejects after `ms`. */
  until(check: () => boolean, ms = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (!check()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `condition not met within ${ms} ms; events: ${JSON.stringify(this.events)}; stdout: ${this.stdout}; stderr: ${this.stderr}`,
          ),
        );
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      this.#waiters.add(wake);
      wake();
    });
  }

  /** Types a line and waits for the reply event `name` that follows it. */
  async command(line: string, name: string): Promise<Event> {
    const after = this.events.length;
    this.child.stdin.write(`${line}\n`);
    return this.waitFor((e) => e.event === name, 15_000, after);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** The JSON lines of a command's standard output (`--json`), as events. */
export function jsonEvents(stdout: string): Event[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{"'))
    .map((line) => JSON.parse(line) as Event);
}

/** Runs `p2p` to completion and returns its exit code and output. */
export function runP2p(
  args: string[],
  input?: string,
  env?: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = new P2pProcess(args, bin, env === undefined ? {} : { env });
  proc.child.stdin.end(input ?? '');
  return proc.exited.then((code) => ({ code, stdout: proc.stdout, stderr: proc.stderr }));
}

/**
 * `p2p` on a pseudo-terminal, as a user runs it: util-linux `script` gives it one and passes what
 * is written to its standard input as typing (`\r` ends a line, `\x03` is Ctrl-C).
 */
export function p2pInTerminal(args: string[]): P2pProcess {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, bin, ...args].map(quote).join(' ');
  return new P2pProcess([], bin, {
    launcher: { command: 'script', args: ['-qfec', command, '/dev/null'] },
  });
}
