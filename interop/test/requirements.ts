import { locateReference } from '../src/locate-reference.js';
import { pythonVersion } from '../src/python.js';

/** Why the suite cannot run here (reference or Python missing), or undefined when it can. */
export function missingRequirement(): string | undefined {
  const location = locateReference();
  if (!location.found) return location.howToGet;
  if (pythonVersion() === undefined) {
    return 'python3 is not on PATH: the reference implementation needs Python 3 (standard library only)';
  }
  return undefined;
}
