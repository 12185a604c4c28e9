import { setTimeout as delay } from 'node:timers/promises';
import { expect, it } from 'vitest';
import {
  attached,
  harmToReferences,
  placedAgain,
  referenceJoins,
  STEP_TIMEOUT,
  until,
} from '../src/network.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

/** Every connection timeout of our root, short: none may close the idle register connection. */
const ROOT_STREAM = { frameTimeout: 500, idleTimeout: 500 };
/** Longer than every timeout above, before the parent is lost (the recovery adds 38 s more). */
const IDLE_MS = Number(process.env.P2P_INTEROP_IDLE_MS ?? 2_000);
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
    await attached(parent, STEP_TIMEOUT, root.address);
    await attached(other, STEP_TIMEOUT, root.address);

    // The root is full: the reference peer goes under `parent`, and its hellos go there; its
    // register connection to the root stays idle from its Advertise on.
    const orphan = await network.startReference('reference peer', root.address);
    expect(await referenceJoins(orphan, root, STEP_TIMEOUT)).toBe(parent.address);
    await orphan.waitForHandled(helloAnswered, STEP_TIMEOUT);
    await delay(IDLE_MS); // the idle time is the scenario, not a synchronisation

    const answeredBefore = orphan.handled.filter(helloAnswered).length;
    const newParent = await placedAgain(orphan, root, RECOVERY_TIMEOUT, () => {
      void parent.peer.close();
    });
    expect([root.address, other.address]).toContain(newParent);

    // Attached again: its new parent takes its Join, its hellos are answered again, and it hears
    // Messages again.
    const joinedBy = newParent === root.address ? root.node : other.peer;
    await until(
      joinedBy,
      'neighbour-added',
      () => joinedBy.children.includes(orphan.address),
      STEP_TIMEOUT,
      'the Join at the new parent',
    );
    await orphan.waitForHandled(
      () => orphan.handled.filter(helloAnswered).length > answeredBefore,
      STEP_TIMEOUT,
    );
    await other.peer.broadcast('after the recovery');
    await orphan.waitForMessage('after the recovery', STEP_TIMEOUT);
    expect(harmToReferences(network)).toEqual([]);
  });
});
