import { expect, it } from 'vitest';
import { harmToReferences, STEP_TIMEOUT } from '../src/network.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

scenario('what the reference cannot take is never sent to it: a frame over 2,048 bytes', () => {
  it('stays alive and keeps processing after one of our peers sends a 3,000-character Message', async () => {
    const network = newNetwork();
    const { x, p } = await network.rootWithReferenceAndOurPeer();

    // A 3,020-byte frame would not fit the reference's recv(2048) and kill its main loop: our
    // root must not forward it to a lock-step binary node.
    await p.peer.broadcast('x'.repeat(3_000)).catch(() => undefined);
    await p.peer.broadcast('short, after the long one');
    await x.waitForMessage('short, after the long one', STEP_TIMEOUT);
    expect(x.mainLoopDied).toBeUndefined();
    expect(harmToReferences(network)).toEqual([]);
  });
});
