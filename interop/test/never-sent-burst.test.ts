import { expect, it } from 'vitest';
import { harmToReferences, STEP_TIMEOUT } from '../src/network.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

scenario('what the reference cannot take is never sent to it: a burst', () => {
  it('gets a burst forwarded by our root one packet per write, each read one whole frame', async () => {
    const network = newNetwork();
    const { x, p } = await network.rootWithReferenceAndOurPeer();

    // Twenty Messages at once: our root must still write x one packet and wait for its ACK
    // before the next (the reference takes each read as one packet).
    const texts = Array.from({ length: 20 }, (_, i) => `burst ${i}`);
    await Promise.all(texts.map((text) => p.peer.broadcast(text)));
    await Promise.all(texts.map((text) => x.waitForMessage(text, STEP_TIMEOUT)));
    expect(x.messages().filter((text) => text.startsWith('burst '))).toEqual(texts);
    // The wire check below looks at every read: there were at least one per Message.
    expect(x.reads.length).toBeGreaterThanOrEqual(texts.length);
    expect(harmToReferences(network)).toEqual([]);
  });

  it('drops a non-ASCII Message (it counts characters, we count bytes) and carries on', async () => {
    const network = newNetwork();
    const { x, p } = await network.rootWithReferenceAndOurPeer();

    await p.peer.broadcast('grüße, naïve café');
    await p.peer.broadcast('plain after it');
    await x.waitForMessage('plain after it', STEP_TIMEOUT);
    // Our length is in bytes: the reference finds it unequal to its count of characters, says
    // so and drops the packet; a length in characters would have cut a character and killed it.
    expect(x.output).toContain('Packet Length is incorrect.');
    expect(harmToReferences(network)).toEqual([]);
  });
});
