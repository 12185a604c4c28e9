import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The public reference implementation and the commit the suite is written against. */
export const REFERENCE_REPOSITORY = 'https://github.com/RadNi/tree-p2p';
export const REFERENCE_COMMIT = '4bcb0f1c66642dfbe16a48f6c307b0ef019b1abb';

/** The repository's root: this file is interop/src/locate-reference.ts. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where to look when P2P_REFERENCE_DIR is not set. */
export const DEFAULT_REFERENCE_DIR = path.resolve(
  REPO_ROOT,
  '..',
  'shared',
  'reference',
  'tree-p2p',
);

export type ReferenceLocation =
  | { found: true; dir: string }
  | { found: false; looked: string[]; howToGet: string };

function isReference(dir: string): boolean {
  return existsSync(path.join(dir, 'src', 'Peer.py'));
}

/**
 * Finds the reference's tree-p2p directory: P2P_REFERENCE_DIR when set (it must then hold the
 * reference), else `../shared/reference/tree-p2p` beside the repository.
 */
export function locateReference(env: NodeJS.ProcessEnv = process.env): ReferenceLocation {
  const configured = env.P2P_REFERENCE_DIR;
  const looked = configured ? [path.resolve(configured)] : [DEFAULT_REFERENCE_DIR];
  const dir = looked.find(isReference);
  if (dir !== undefined) return { found: true, dir };
  return {
    found: false,
    looked,
    howToGet:
      `the reference implementation was not found (looked in ${looked.join(', ')}). Get it with:\n` +
      `  git clone ${REFERENCE_REPOSITORY} tree-p2p && git -C tree-p2p checkout ${REFERENCE_COMMIT}\n` +
      'then run with P2P_REFERENCE_DIR=/path/to/tree-p2p (or put it at ../shared/reference/tree-p2p).',
  };
}
