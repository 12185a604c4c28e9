import { spawnSync } from 'node:child_process';

/** The `python3` on PATH's version ('Python 3.11.7'), or undefined when there is none. */
export function pythonVersion(): string | undefined {
  const result = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return undefined;
  return (result.stdout || result.stderr).trim();
}
