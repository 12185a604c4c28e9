import { expect, it } from 'vitest';
import {
  attached,
  harmToReferences,
  joinedUnder,
  placedAgain,
  referenceJoins,
  STEP_TIMEOUT,
} from '../src/network.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

/**
 * Our root's connection timeouts. The reference peer's register connection sits idle from its
 * Advertise until it re-advertises, at least 38 s later: longer than every one of these and than
 * the root timeout (15 s). A root that closed idle accepted connections would have closed it
 * (the first-frame timeout is left long enough for the peer to register first).
 */
const ROOT_STREAM = { frameTimeout: 10_000, idleTimeout: 5_000, ackTimeout: 10_000 };
/** The reference gives up on its parent 38 s after an unanswered hello, then re-advertises. */
const RECOVERY_TIMEOUT = 38_000 + 4_000 + STEP_TIMEOUT;

const helloAnswered = (packet: { type: number; body: string }) =>
  packet.type === 5 && packet.body.startsWith('RES');

scenario('a reference peer below one of ours that is killed', () => {
  it('re-advertises over its idle register connection at its own 38 s timings and is placed again', async () => {
    const network = newNetwork();
    const root = await network.startOurRoot({ stream: ROOT_STREAM });
    const parent = await network.startOurPeer(root.address);
    const other = await network.startOurPeer(root.address);
    await attached(parent, STEP_TIMEOUT, root.node);
    await attached(other, STEP_TIMEOUT, root.node);

    // The root is full: the reference peer goes under `parent`, and its hellos go there; its
    // register connection to the root stays idle from its Advertise on.
    const orphan = await network.startReference('reference peer', root.address);
    await referenceJoins(orphan, root, STEP_TIMEOUT, parent.peer);
    await orphan.waitForHandled(helloAnswered, STEP_TIMEOUT);

    const answeredBefore = orphan.handled.filter(helloAnswered).length;
    const newParent = await placedAgain(orphan, root, RECOVERY_TIMEOUT, () => {
      void parent.peer.close();
    });
    expect([root.address, other.address]).toContain(newParent);

    // Attached again: its new parent takes its Join, its hellos are answered again, and it hears
    // Messages again.
    const joinedBy = newParent === root.address ? root.node : other.peer;
    await joinedUnder(joinedBy, orphan.address, STEP_TIMEOUT);
    await orphan.waitForHandled(
      () => orphan.handled.filter(helloAnswered).length > answeredBefore,
      STEP_TIMEOUT,
    );
    await other.peer.broadcast('after the recovery');
    await orphan.waitForMessage('after the recovery', STEP_TIMEOUT);
    expect(harmToReferences(network)).toEqual([]);
  });
});
