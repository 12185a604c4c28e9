import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How long one `ip` command may take before it counts as failed. */
const IP_TIMEOUT_MS = 15_000;

/** An `ip` command that failed, with its arguments and standard error. */
export class IpError extends Error {
  readonly code = 'ERR_IP_COMMAND';
  readonly args: readonly string[];

  constructor(args: readonly string[], stderr: string) {
    super(`ip ${args.join(' ')} failed: ${stderr.trim()}`);
    this.args = args;
  }
}

/** Runs `ip` with arguments (no shell); resolves with its standard output. */
export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args, { timeout: IP_TIMEOUT_MS });
    return stdout;
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new IpError(args, stderr || message);
  }
}

/** The same, synchronously: for exit handlers, where nothing asynchronous runs any more. */
export function ipSync(...args: string[]): string {
  try {
    return execFileSync('ip', args, {
      timeout: IP_TIMEOUT_MS,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new IpError(args, String(stderr || message));
  }
}

/** Names of the network namespaces that exist (`ip netns list`, ids stripped). */
export function namespaceNames(listing: string): string[] {
  return listing
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.length > 0);
}
