import { expect, it } from 'vitest';
import {
  attached,
  harmToReferences,
  heard,
  type OurPeer,
  type OurTreeNode,
  STEP_TIMEOUT,
  until,
} from '../src/network.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

/** Attached again, under one of `parents`, its Join arrived there. */
async function reattached(ours: OurPeer, lost: string, parents: OurTreeNode[]): Promise<void> {
  const timeout = 2 * STEP_TIMEOUT;
  const moved = () => ours.peer.parent !== null && ours.peer.parent !== lost;
  await until(ours.peer, 'parent', moved, timeout, `${ours.address} re-attached`);
  const parent = parents.find((node) => node.address === ours.peer.parent);
  if (parent === undefined)
    throw new Error(`${ours.address} re-attached under ${ours.peer.parent}`);
  await attached(ours, timeout, parent);
}

scenario('a reference peer killed inside a tree of ours', () => {
  it('leaves our nodes below it to re-attach and go on hearing Messages', async () => {
    const network = newNetwork();
    // x (reference) and p under the root, then q1 and q2 (ours) under x.
    const { root, x, p } = await network.rootWithReferenceAndOurPeer();
    const q1 = await network.startOurPeer(root.address);
    await attached(q1, STEP_TIMEOUT, x);
    const q2 = await network.startOurPeer(root.address);
    await attached(q2, STEP_TIMEOUT, x);
    await p.peer.broadcast('through x');
    await Promise.all([heard(q1, 'through x', STEP_TIMEOUT), heard(q2, 'through x', STEP_TIMEOUT)]);

    await x.stop(); // SIGKILL, by its pid
    const parents = [root.node, p.peer, q1.peer, q2.peer];
    await Promise.all([reattached(q1, x.address, parents), reattached(q2, x.address, parents)]);
    await p.peer.broadcast('after x was killed');
    await Promise.all([
      heard(q1, 'after x was killed', STEP_TIMEOUT),
      heard(q2, 'after x was killed', STEP_TIMEOUT),
    ]);
    await q1.peer.broadcast('from q1 after x');
    await heard(q2, 'from q1 after x', STEP_TIMEOUT);
    expect(harmToReferences(network)).toEqual([]);
  });
});
