import { expect, it } from 'vitest';
import { describePostgres } from './postgres-describe.js';
import {
  cleanUpAfterEach,
  freeAddress,
  health,
  shape,
  startPeer,
  startStandbyRoot,
} from './standby-roots.js';

const cleanups = cleanUpAfterEach();

// A peer timeout longer than a takeover (within 5 s), so that no peer gives up on the tree.
const timings = { helloInterval: 200, peerTimeout: 10_000, rootTimeout: 9_500 };

describePostgres('active/standby roots on two addresses, peers given both', (cluster) => {
  it('the leader SIGKILLed: peers follow the standby that leads, keep their tree and registrations; a newcomer given B,A joins through it', async () => {
    const db = await cluster().createDatabase();
    const [a, b] = [await freeAddress(), await freeAddress()];
    const first = startStandbyRoot(db, a, timings, cleanups);
    await first.started;
    const second = startStandbyRoot(db, b, timings, cleanups);
    const waiting = await second.line('standby: waiting to lead');
    expect(await health(waiting)).toEqual({ status: 503, text: 'standby' });

    const peers = [0, 1, 2, 3].map(() => startPeer(`${a},${b}`, timings, cleanups));
    for (const p of peers) await p.until('a parent', () => p.parent !== null);
    const before = shape((await first.topology()).nodes);
    expect(before.filter((n) => n.parent === a)).toHaveLength(2);

    first.kill('SIGKILL');
    const { http } = await second.started;
    expect(await health({ http })).toEqual({ status: 200, text: 'ok leader term 2' });
    const answered = peers.map((p) => p.count('hello-answered'));
    await Promise.all(
      peers.map((p, i) =>
        p.until(
          'hellos answered by the new leader',
          () => p.count('hello-answered') > (answered[i] ?? 0) + 2,
        ),
      ),
    );
    // The same tree, the children of the root now under the root that leads; nobody re-advertised.
    const moved = before.map((n) => ({ ...n, parent: n.parent === a ? b : n.parent }));
    expect(shape((await second.topology()).nodes)).toEqual(moved);
    expect(shape(peers.map((p) => ({ address: p.address, parent: p.parent })))).toEqual(moved);
    for (const p of peers) expect(p.count('reunion-failure')).toBe(0);
    expect(second.stderr).not.toContain('"msg":"node registered"');

    // Messages flow through the tree under the new leader.
    const [speaker, ...listeners] = peers;
    speaker?.broadcast('after the failover');
    await Promise.all(
      listeners.map((p) =>
        p.until(
          'the Message',
          () => p.count('message', (e) => e.text === 'after the failover') > 0,
        ),
      ),
    );

    const newcomer = startPeer(`${b},${a}`, timings, cleanups);
    await newcomer.until('a parent', () => newcomer.parent !== null);
    const after = await second.topology();
    expect(after.nodes.map((n) => n.address).sort()).toEqual(
      [...peers, newcomer].map((p) => p.address).sort(),
    );
    expect(second.stderr.split('"msg":"node registered"')).toHaveLength(2);
  }, 60_000);
});
