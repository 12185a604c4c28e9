import { afterEach, describe } from 'vitest';
import { locateReference } from '../src/locate-reference.js';
import { Network } from '../src/network.js';
import { missingRequirement } from './requirements.js';

const location = locateReference();

/** The reference's tree-p2p directory ('' when it is missing and the scenarios are skipped). */
export const REFERENCE_DIR = location.found ? location.dir : '';

/** `describe` when the reference and Python are there, else `describe.skip` (global-setup says why). */
export const scenario = missingRequirement() === undefined ? describe : describe.skip;

/**
 * Returns a function making a new Network for a test; every network is stopped after each test
 * (every process by its pid), and a failed test prints what the reference nodes printed.
 */
export function networksStoppedAfterEach(): () => Network {
  const open: Network[] = [];
  afterEach(async (context) => {
    const networks = open.splice(0);
    if (context.task.result?.state === 'fail') {
      for (const network of networks) console.log(network.outputs());
    }
    await Promise.all(networks.map((network) => network.close()));
  });
  return () => {
    const network = new Network(REFERENCE_DIR);
    open.push(network);
    return network;
  };
}
