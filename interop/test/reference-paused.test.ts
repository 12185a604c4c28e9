import { formatAddress } from '@p2p/codec';
import type { UnreachableEvent } from '@p2p/stream';
import { expect, it } from 'vitest';
import { attached, harmToReferences, STEP_TIMEOUT, waitForEvent } from '../src/network.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

/** Our child's ACK timeout: shorter than the default 10 s, so that the pause need not be long. */
const ACK_TIMEOUT = 2_000;

scenario('a reference parent paused for longer than our ACK timeout', () => {
  // Giving up on a slow reference node must not kill it: its server thread dies if the end of a
  // connection reaches it with a frame it has not acknowledged yet (docs/interop.md).
  it('survives our child giving up on it, and reads and forwards again once it goes on', async () => {
    const network = newNetwork();
    const { root, x, p } = await network.rootWithReferenceAndOurPeer();
    const z = await network.startOurPeer(root.address, { stream: { ackTimeout: ACK_TIMEOUT } });
    await attached(z, STEP_TIMEOUT, x);
    // Delivered once z's probe of x has settled (a Message waits for its outcome): the next one
    // then goes to x at once, and a probe, which never reports an ACK timeout, is out of the way.
    await z.peer.broadcast('before the pause');
    await x.waitForMessage('before the pause', STEP_TIMEOUT);

    const gaveUp = waitForEvent<UnreachableEvent>(
      z.transport,
      'unreachable',
      ({ address, error }) =>
        formatAddress(address) === x.address && error.code === 'ERR_STREAM_ACK_TIMEOUT',
      STEP_TIMEOUT,
      `${z.address} giving up on ${x.address}`,
    );
    await x.pause();
    // Written to x while it is stopped: never acknowledged within our ACK timeout.
    const sent = z.peer.broadcast('while x was paused');
    await gaveUp;
    await sent;
    x.resume();

    // x reads the Message it was sent, then the next one through our root: its server lives on.
    await x.waitForMessage('while x was paused', STEP_TIMEOUT);
    await p.peer.broadcast('after the pause');
    await x.waitForMessage('after the pause', STEP_TIMEOUT);
    expect(harmToReferences(network)).toEqual([]);
  });
});
