import { expect, it } from 'vitest';
import { attached, harmToReferences, STEP_TIMEOUT, waitForEvent } from '../src/network.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

scenario('what the reference cannot take is never sent to it: a frame over 2,048 bytes', () => {
  it('stays alive and keeps processing after one of our peers sends a 3,000-character Message', async () => {
    const network = newNetwork();
    const { root, x } = await network.rootWithReferencePeer();
    // p speaks text to our root, which takes long Messages in text framing: the 3,000-character
    // Message reaches the root, which must not forward it to x as a 3,020-byte binary frame (it
    // would not fit the reference's recv(2048) and would kill its main loop).
    const p = await network.startOurPeer(root.address, {
      framing: 'text',
      maxMessageBytes: 65_536,
    });
    await attached(p, STEP_TIMEOUT, root.node);
    const long = 'x'.repeat(3_000);
    const atRoot = waitForEvent<{ text: string }>(
      root,
      'message',
      ({ text }) => text === long,
      STEP_TIMEOUT,
      'the long Message at the root',
    );
    const heldBack = waitForEvent<{ reason: string }>(
      root,
      'dropped',
      ({ reason }) => reason === 'too-large-for-neighbour',
      STEP_TIMEOUT,
      'the long Message held back from x',
    );
    await p.peer.broadcast(long);
    await Promise.all([atRoot, heldBack]);
    await p.peer.broadcast('short, after the long one');
    await x.waitForMessage('short, after the long one', STEP_TIMEOUT);
    expect(x.messages()).not.toContain(long);
    expect(x.mainLoopDied).toBeUndefined();
    expect(harmToReferences(network)).toEqual([]);
  });
});
