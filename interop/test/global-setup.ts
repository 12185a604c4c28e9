import { locateReference } from '../src/locate-reference.js';

/**
 * Without the reference the suite is skipped, saying how to get it, except under CI, where a
 * missing reference fails the run: CI must test against the real thing.
 */
export default function setup(): void {
  const location = locateReference();
  if (location.found) return;
  if (process.env.CI) throw new Error(`interop suite under CI: ${location.howToGet}`);
  process.stderr.write(`\ninterop suite skipped: ${location.howToGet}\n\n`);
}
