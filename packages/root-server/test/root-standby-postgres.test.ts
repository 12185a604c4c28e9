import { expect, it } from 'vitest';
import type { PeerProcess } from './peer-process.js';
import { describePostgres } from './postgres-describe.js';
import {
  cleanUpAfterEach,
  freeAddress,
  health,
  metric,
  shape,
  startPeer,
  startStandbyRoot,
} from './standby-roots.js';

const cleanups = cleanUpAfterEach();

const timings = { helloInterval: 200, peerTimeout: 3_000, rootTimeout: 2_800 };

const standbyRoot = (db: string, listen: string) => startStandbyRoot(db, listen, timings, cleanups);
const peer = (root: string) => startPeer(root, timings, cleanups);

describePostgres(
  'roots sharing a PostgreSQL database: one leads, the others stand by',
  (cluster) => {
    it('the leader SIGKILLed: the standby leads with every registration and the tree, Messages flow, newcomers join, the old leader comes back as a standby', async () => {
      const db = await cluster().createDatabase();
      // The service address moves with the leader (here: both roots on one host, one address).
      const service = await freeAddress();
      const first = standbyRoot(db, service);
      const leading = await first.line('leading');
      const { http: firstHttp } = await first.started;
      expect(await health({ http: firstHttp })).toEqual({ status: 200, text: 'ok leader term 1' });
      expect(await metric(firstHttp, 'p2p_root_leader')).toBe(1);
      expect(leading.term).toBe(1);

      const second = standbyRoot(db, service);
      const waiting = await second.line('standby: waiting to lead');
      expect(await health(waiting)).toEqual({ status: 503, text: 'standby' });
      expect(await metric(String(waiting.http), 'p2p_root_leader')).toBe(0);

      const peers = [peer(service), peer(service), peer(service), peer(service)];
      for (const p of peers) await p.until('a parent', () => p.parent !== null);
      const before = shape((await first.topology()).nodes);
      expect(before).toEqual(shape(peers.map((p) => ({ address: p.address, parent: p.parent }))));

      const killedAt = Date.now();
      first.kill('SIGKILL');
      const { http } = await second.started;
      const takeover = Date.now() - killedAt;
      console.log(`standby led ${takeover} ms after the leader was SIGKILLed`);
      expect(await health({ http })).toEqual({ status: 200, text: 'ok leader term 2' });
      expect(await metric(http, 'p2p_root_term')).toBe(2);
      expect(shape((await second.topology()).nodes)).toEqual(before);

      // Peers that saw the old root's connection fail re-advertise (peer-side); every hello path
      // the new leader answers is the tree as it has it. Once each peer has had hellos answered
      // again, a Message from one peer reaches every other exactly once.
      const answered = peers.map((p) => p.count('hello-answered'));
      await Promise.all(
        peers.map((p, i) =>
          p.until(
            'hellos answered by the new leader',
            () => p.count('hello-answered') > (answered[i] ?? 0) + 2,
          ),
        ),
      );
      const [speaker, ...listeners] = peers as [PeerProcess, ...PeerProcess[]];
      speaker.broadcast('after the failover');
      await Promise.all(
        listeners.map((p) =>
          p.until(
            'the Message',
            () => p.count('message', (e) => e.text === 'after the failover') > 0,
          ),
        ),
      );
      for (const p of listeners) {
        expect(p.count('message', (e) => e.text === 'after the failover')).toBe(1);
      }
      // Nobody registered again: no registration was lost.
      expect(second.stderr).not.toContain('"msg":"node registered"');
      // A newcomer registers and is placed through the new leader.
      const newcomer = peer(service);
      await newcomer.until('a parent', () => newcomer.parent !== null);
      const after = await second.topology();
      expect(after.nodes.map((n) => n.address).sort()).toEqual(
        [...peers, newcomer].map((p) => p.address).sort(),
      );
      expect(second.stderr.split('"msg":"node registered"')).toHaveLength(2);

      const returned = standbyRoot(db, service);
      const again = await returned.line('standby: waiting to lead');
      expect(await health(again)).toEqual({ status: 503, text: 'standby' });
      expect(second.child.exitCode).toBeNull();
    }, 60_000);

    it('the database stopped under the leader: it stops leading and says so, and leads again with nothing lost when the database returns', async () => {
      const db = await cluster().createDatabase();
      const service = await freeAddress();
      const root = standbyRoot(db, service);
      await root.started;
      const peers = [peer(service), peer(service)];
      for (const p of peers) await p.until('a parent', () => p.parent !== null);
      const before = shape((await root.topology()).nodes);

      await cluster().pause();
      await root.line('lost the database: stopped leading');
      // The second wait: the first was before it led.
      const waiting = await root.line('standby: waiting to lead', 2);
      const down = await health({ http: waiting.http });
      expect(down.status).toBe(503);
      expect(down.text).toMatch(/^standby: (lost the database|the database is unreachable)/);

      await cluster().resume();
      await root.line('leading', 2);
      const { http: againHttp } = await root.line('root started', 2);
      expect(await health({ http: againHttp })).toEqual({ status: 200, text: 'ok leader term 2' });
      const topology = await (await fetch(`http://${againHttp}/api/topology`)).json();
      expect(
        shape((topology as { nodes: Array<{ address: string; parent: string | null }> }).nodes),
      ).toEqual(before);
    }, 60_000);
  },
);
