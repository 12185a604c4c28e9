import { afterEach, describe, expect, it } from 'vitest';
import { ChurnNetwork, churnText, deliveredBySender, parseChurnText } from './churn-network.js';
import type { P2pProcess } from './processes.js';

// A root and 15 peers as `p2p` processes (fast timings). Once the tree is formed, four leaves
// each send a Message every 25 ms for 6 s while two interior peers are SIGKILLed, a third is
// SIGSTOPped for 1.5 s, and the root is SIGKILLed and started again on its address and store.
const PEERS = 15;
const SEND_EVERY_MS = 25;
const SEND_FOR_MS = 6_000;
const CHAOS = {
  killFirst: 1_000,
  restartRoot: 2_000,
  stop: 2_500,
  resume: 4_000,
  killSecond: 3_000,
};

let network: ChurnNetwork | undefined;
afterEach(async () => {
  await network?.stop();
  network = undefined;
});

interface Roles {
  killed: string[];
  stopped: string;
  senders: string[];
}

/**
 * The root's second child and an interior grandchild under its first are killed, the first
 * child's other interior child is stopped; senders are leaves under each of them, so every
 * failure cuts off a sender, and one more leaf elsewhere.
 */
function chooseRoles(net: ChurnNetwork): Roles {
  const children = net.children();
  const kids = (a: string) => children.get(a) ?? [];
  const leafUnder = (a: string): string => {
    const below = kids(a);
    return below.length === 0 ? a : leafUnder(below[below.length - 1] as string);
  };
  const [left, right] = kids(net.rootAddress);
  const interior = kids(left ?? '').filter((a) => kids(a).length > 0);
  const [killFirst, stopped] = interior;
  if (right === undefined || killFirst === undefined || stopped === undefined)
    throw new Error(`the tree is not deep enough for the churn: ${net.describe()}`);
  const [rightA, rightB] = kids(right);
  const senders = [killFirst, stopped, rightA ?? right, rightB ?? right].map(leafUnder);
  if (new Set(senders).size !== senders.length)
    throw new Error(`not four distinct leaves: ${senders.join(', ')} in ${net.describe()}`);
  return { killed: [killFirst, right], stopped, senders };
}

interface Outcome {
  /** Per sender, how many Messages it sent (its `sent` replies). */
  sent: Map<string, number>;
  /** For every survivor and every other surviving sender, the numbers it delivered, in order. */
  delivered: Array<{ survivor: string; sender: string; numbers: number[] }>;
  /** Message events whose `origin` is not the sender named in the text. */
  wrongOrigin: string[];
}

/** Runs the scenario; `complete` says when a survivor's deliveries are all there is to wait for. */
async function churn(
  net: ChurnNetwork,
  complete: (numbers: number[] | undefined, count: number) => boolean,
  settleMs: number,
): Promise<Outcome> {
  await net.formed(30_000);
  const roles = chooseRoles(net);
  const proc = (address: string) => net.byAddress(address) as P2pProcess;
  const senders = roles.senders.map(proc);
  const written = new Map(roles.senders.map((s) => [s, 0]));
  const sending = setInterval(() => {
    for (const sender of roles.senders) {
      const n = (written.get(sender) ?? 0) + 1;
      written.set(sender, n);
      proc(sender).child.stdin.write(`SendMessage ${churnText(sender, n)}\n`);
    }
  }, SEND_EVERY_MS);
  const signal = (address: string, name: NodeJS.Signals) => proc(address).child.kill(name);
  const at = (ms: number, action: () => unknown) =>
    new Promise<void>((resolve, reject) =>
      setTimeout(
        () =>
          Promise.resolve()
            .then(action)
            .then(() => resolve(), reject),
        ms,
      ),
    );
  try {
    await Promise.all([
      at(CHAOS.killFirst, () => signal(roles.killed[0] as string, 'SIGKILL')),
      at(CHAOS.restartRoot, () => net.restartRoot()),
      at(CHAOS.stop, () => signal(roles.stopped, 'SIGSTOP')),
      at(CHAOS.resume, () => signal(roles.stopped, 'SIGCONT')),
      at(CHAOS.killSecond, () => signal(roles.killed[1] as string, 'SIGKILL')),
      at(SEND_FOR_MS, () => clearInterval(sending)),
    ]);
  } finally {
    clearInterval(sending);
  }
  // Every line written is handled before counting: a sender cut off waits to join again.
  const sentCount = (p: P2pProcess) =>
    p.events.filter((e) => e.event === 'sent' && parseChurnText(String(e.text)) !== undefined)
      .length;
  await Promise.all(
    senders.map((p, i) =>
      p.until(() => sentCount(p) === written.get(roles.senders[i] as string), 30_000),
    ),
  );
  const sent = new Map(roles.senders.map((s) => [s, written.get(s) ?? 0]));
  const survivors = net.peers.filter((p) => !roles.killed.includes(net.address(p)));
  const done = (p: P2pProcess) => {
    const got = deliveredBySender(p.events);
    return roles.senders.every(
      (s) => s === net.address(p) || complete(got.get(s), sent.get(s) ?? 0),
    );
  };
  // Waiting for every survivor's events, each its own deadline: what is missing then is reported.
  await Promise.all(survivors.map((p) => p.until(() => done(p), settleMs).catch(() => undefined)));
  const delivered = survivors.flatMap((p) => {
    const got = deliveredBySender(p.events);
    return roles.senders
      .filter((s) => s !== net.address(p))
      .map((sender) => ({ survivor: net.address(p), sender, numbers: got.get(sender) ?? [] }));
  });
  const wrongOrigin = survivors.flatMap((p) =>
    p.events
      .filter((e) => e.event === 'message' && typeof e.text === 'string')
      .filter((e) => {
        const parsed = parseChurnText(e.text as string);
        return parsed !== undefined && 'origin' in e && e.origin !== parsed.sender;
      })
      .map((e) => `${net.address(p)} got ${String(e.text)} with origin ${String(e.origin)}`),
  );
  console.info(`churn roles: ${JSON.stringify(roles)}; sent ${JSON.stringify([...sent])}`);
  return { sent, delivered, wrongOrigin };
}

/** What went wrong for one survivor and sender: numbers missing, repeated, or out of order. */
function faults(numbers: number[], count: number): string | undefined {
  const seen = new Set<number>();
  const repeated = numbers.filter((n) => seen.has(n) || !seen.add(n));
  const missing: number[] = [];
  for (let n = 1; n <= count; n++) if (!seen.has(n)) missing.push(n);
  const disorder = numbers.findIndex((n, i) => i > 0 && n <= (numbers[i - 1] as number));
  const extra = numbers.filter((n) => n < 1 || n > count);
  if (missing.length + repeated.length + extra.length === 0 && disorder === -1) return undefined;
  return `missing [${missing.join(',')}] repeated [${repeated.join(',')}] unknown [${extra.join(',')}]${disorder === -1 ? '' : ` out of order at ${disorder} (${numbers.slice(Math.max(0, disorder - 3), disorder + 3).join(',')})`}`;
}

describe('broadcast under churn: 15 peers and a root as processes, kills, a pause, a root restart', () => {
  it('with the lossless extension: every survivor delivers every surviving sender’s Messages once, in order', async () => {
    network = await ChurnNetwork.start(PEERS, []);
    const outcome = await churn(network, (got, count) => new Set(got).size >= count, 40_000);
    const problems = outcome.delivered.flatMap(({ survivor, sender, numbers }) => {
      const fault = faults(numbers, outcome.sent.get(sender) ?? 0);
      return fault === undefined ? [] : [`${survivor} from ${sender}: ${fault}`];
    });
    expect(problems).toEqual([]);
    expect(outcome.wrongOrigin).toEqual([]);
    // Every message event names its origin once the extension is on.
    for (const peer of network.peers) {
      for (const e of peer.events.filter((x) => x.event === 'message'))
        expect(e).toHaveProperty('origin');
    }
  }, 180_000);

  it('with --no-lossless: the loss is reported (not asserted)', async () => {
    network = await ChurnNetwork.start(PEERS, ['--no-lossless']);
    // Plain version 1 never repairs: waiting for each sender's last Message is enough.
    const outcome = await churn(network, (got, count) => got?.includes(count) ?? false, 15_000);
    let lost = 0;
    let duplicated = 0;
    const short = new Set<string>();
    for (const { survivor, numbers, sender } of outcome.delivered) {
      const count = outcome.sent.get(sender) ?? 0;
      const distinct = new Set(numbers.filter((n) => n >= 1 && n <= count));
      lost += count - distinct.size;
      duplicated += numbers.length - distinct.size;
      if (distinct.size < count) short.add(survivor);
    }
    const expected = outcome.delivered.reduce(
      (sum, d) => sum + (outcome.sent.get(d.sender) ?? 0),
      0,
    );
    console.info(
      `churn without the extension: ${lost} of ${expected} deliveries lost, ${duplicated} duplicated; ${short.size} of ${network.peers.length - 2} survivors missed some`,
    );
    expect(expected).toBeGreaterThan(0);
  }, 180_000);
});
