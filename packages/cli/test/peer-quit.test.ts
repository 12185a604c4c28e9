import { afterEach, describe, expect, it } from 'vitest';
import { P2pProcess, p2pInTerminal } from './processes.js';

const running: P2pProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
});

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Nothing listens on port 1: the peer never joins, so SendMessage waits.
const NO_ROOT = '127.0.0.1:1';

describe('quitting while SendMessage waits for the tree', () => {
  it('in a terminal: Ctrl-C exits at once, with no prompt drawn again', async () => {
    const peer = p2pInTerminal(['peer', '--root', NO_ROOT, '--join-timeout', '60000']);
    running.push(peer);
    await peer.until(() => peer.stdout.includes('p2p> '));
    peer.child.stdin.write('SendMessage hi\r');
    await peer.until(() => peer.stdout.includes('waiting to join the tree (up to 60 s)…'));
    peer.child.stdin.write('\x03');
    // Before: the prompt came back twice when the wait ended, and the process never exited.
    expect(await within(peer.exited, 10_000, 'exit after Ctrl-C')).toBe(0);
    const after = peer.stdout.slice(peer.stdout.indexOf('waiting to join'));
    expect(after).not.toContain('p2p> ');
  });

  it('in a script: SIGTERM ends the peer at once', async () => {
    const peer = new P2pProcess(['peer', '--root', NO_ROOT, '--join-timeout', '60000', '--json']);
    running.push(peer);
    await peer.waitFor((e) => e.event === 'started');
    const after = peer.events.length;
    peer.child.stdin.write('SendMessage hi\n');
    // Two retries after the line was written: the peer has read it and is waiting.
    await peer.until(
      () => peer.events.slice(after).filter((e) => e.event === 'root-unreachable').length >= 2,
    );
    peer.child.kill('SIGTERM');
    // Before: the signal was ignored until the join timeout passed.
    expect(await within(peer.exited, 10_000, 'exit after SIGTERM')).toBe(0);
  });
});
