import { expect, it } from 'vitest';
import { attached, harmToReferences, heard, STEP_TIMEOUT } from '../src/network.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

scenario('a reference root with our peers (binary framing)', () => {
  it('places our peers under it and carries Messages both ways through it', async () => {
    const network = newNetwork();
    const root = await network.startReference('reference root');
    // Our peers keep the reference's timings: its root turns a node off after 36 s of silence.
    const [a, b] = [
      await network.startOurPeer(root.address),
      await network.startOurPeer(root.address),
    ];
    await Promise.all([attached(a, STEP_TIMEOUT, root), attached(b, STEP_TIMEOUT, root)]);

    // Ours to the reference and, forwarded by it, to our other peer.
    await a.peer.broadcast('from our peer a');
    await root.waitForMessage('from our peer a', STEP_TIMEOUT);
    await heard(b, 'from our peer a', STEP_TIMEOUT);

    // The reference's user to our peers.
    root.type('SendMessage from the reference root');
    await Promise.all([
      heard(a, 'from the reference root', STEP_TIMEOUT),
      heard(b, 'from the reference root', STEP_TIMEOUT),
    ]);

    await b.peer.broadcast('from our peer b');
    await heard(a, 'from our peer b', STEP_TIMEOUT);
    // Forwarded, never echoed back to its sender.
    expect(b.messages).not.toContain('from our peer b');
    expect(harmToReferences(network)).toEqual([]);
  });
});
