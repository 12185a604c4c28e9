import type { PeerProcess } from './peer-process.js';

interface Sent {
  sender: PeerProcess;
  text: string;
  /** Peers in the tree when it was sent: a peer that joined later gets none of the past. */
  before: Set<PeerProcess>;
}

/**
 * The Messages a test sends through peer processes, in order, and what the lossless extension
 * promises about them: a peer that stays alive delivers every Message of every origin that stays
 * alive once, in the order its origin sent them, with `origin` naming it.
 */
export class MessageLedger {
  readonly #sent: Sent[] = [];

  get size(): number {
    return this.#sent.length;
  }

  /**
   * `sender` broadcasts `text` (unique) now, owed to those of `peers` in the tree: a hello of
   * theirs answered already (reported before this call: their first Digest exchange is done). A
   * peer that has not joined yet starts from what its parent has seen (a fresh peer gets none of
   * the past), so it is owed only what comes later.
   */
  send(sender: PeerProcess, text: string, peers: readonly PeerProcess[]): void {
    const joined = peers.filter((p) => p.count('hello-answered') > 0);
    this.#sent.push({ sender, text, before: new Set(joined) });
    sender.broadcast(text);
  }

  /**
   * The Messages `receiver` must have: sent while it was in the tree, by origins in `alive`. The
   * Messages of a sender that died (killed, or killed and restarted as a new peer) are not owed:
   * what it sent just before may have reached nobody.
   */
  owed(receiver: PeerProcess, alive: readonly PeerProcess[]): string[] {
    return this.#sent
      .filter((s) => s.sender !== receiver && alive.includes(s.sender) && s.before.has(receiver))
      .map((s) => s.text);
  }

  /** Whether `receiver` delivered each Message it is owed. */
  complete(receiver: PeerProcess, alive: readonly PeerProcess[]): boolean {
    return this.owed(receiver, alive).every(
      (text) => receiver.count('message', (e) => e.text === text) >= 1,
    );
  }

  /**
   * What is wrong at `receiver`: a Message it is owed missing, any Message of the ledger
   * delivered twice, with a wrong origin, or before an earlier one of the same origin.
   */
  problems(receiver: PeerProcess, alive: readonly PeerProcess[]): string[] {
    const problems: string[] = [];
    const at = receiver.address;
    for (const text of this.owed(receiver, alive))
      if (receiver.count('message', (e) => e.text === text) === 0)
        problems.push(`${at} missed "${text}"`);
    const order = new Map(this.#sent.map((s, i) => [s.text, { ...s, index: i }]));
    const lastBySender = new Map<PeerProcess, number>();
    const seen = new Set<string>();
    for (const e of receiver.events) {
      const sent = e.event === 'message' ? order.get(e.text as string) : undefined;
      if (sent === undefined) continue;
      if (sent.sender === receiver) problems.push(`${at} delivered its own "${sent.text}"`);
      if (e.origin !== sent.sender.address)
        problems.push(`${at} got "${sent.text}" with origin ${String(e.origin)}`);
      if (seen.has(sent.text)) problems.push(`${at} got "${sent.text}" twice`);
      seen.add(sent.text);
      const last = lastBySender.get(sent.sender) ?? -1;
      if (sent.index < last)
        problems.push(`${at} got "${sent.text}" after a later one of its origin`);
      lastBySender.set(sent.sender, Math.max(last, sent.index));
    }
    return problems;
  }
}
