import { setTimeout as delay } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { harmToReferences, referenceJoins, STEP_TIMEOUT } from '../src/network.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

/**
 * Every connection timeout of our root, made short so that the test does not wait a minute: a
 * root that closed silent accepted connections (first-frame or idle timeout) would have closed
 * the reference peer's register connection long before its user types Register.
 */
const ROOT_STREAM = { frameTimeout: 500, idleTimeout: 500 };
/** How long the reference peer's user waits before typing Register ("a minute", scaled down). */
const USER_DELAY_MS = Number(process.env.P2P_INTEROP_USER_DELAY_MS ?? 3_000);

scenario('a reference peer whose user types Register long after it started', () => {
  it('is registered and placed: our root never closes the connection it opened at start', async () => {
    const network = newNetwork();
    const root = await network.startOurRoot({ stream: ROOT_STREAM });
    // The reference opens its register connection to the root in its constructor, before it
    // listens: by now the connection is accepted and silent.
    const late = await network.startReference('late reference peer', root.address);
    await delay(USER_DELAY_MS); // the user's pause is the scenario, not a synchronisation
    await referenceJoins(late, root, STEP_TIMEOUT);
    // Placed and alive: its hellos reach the root and are answered.
    await late.waitForHandled(
      (packet) => packet.type === 5 && packet.body.startsWith('RES'),
      STEP_TIMEOUT,
    );
    expect(harmToReferences(network)).toEqual([]);
  });
});
