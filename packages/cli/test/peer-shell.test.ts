import type { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { Peer } from '@p2p/peer';
import { afterEach, describe, expect, it } from 'vitest';
import { Output } from '../src/output.js';
import { parseCommand } from '../src/shell/parse-command.js';
import { reportPeerEvents, runPeerShell } from '../src/shell/peer-shell.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A manual-mode peer (it never contacts its root unless told to). */
async function manualPeer(): Promise<Peer> {
  const peer = await Peer.start({ listen: '127.0.0.1:0', root: '127.0.0.1:9', mode: 'manual' });
  closers.push(() => peer.close());
  return peer;
}

/** An auto-mode peer whose root never answers (nothing listens on port 1): it never joins. */
async function peerThatCannotJoin(): Promise<Peer> {
  const peer = await Peer.start({ listen: '127.0.0.1:0', root: '127.0.0.1:1' });
  closers.push(() => peer.close());
  return peer;
}

function terminalStreams() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  let written = '';
  output.on('data', (chunk: Buffer) => {
    written += chunk.toString();
  });
  /** Resolves once `text` has been written. */
  const writes = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!written.includes(text)) return;
        output.off('data', check);
        resolve();
      };
      output.on('data', check);
      check();
    });
  return { input, output, written: () => written, writes };
}

/** Resolves when `peer` gets a listener for `event` (a command started waiting on it). */
function listenedTo(peer: Peer, event: string): Promise<void> {
  const emitter = peer as unknown as EventEmitter; // 'newListener' is not among the peer's events
  return new Promise((resolve) => {
    const onNewListener = (name: string | symbol) => {
      if (name !== event) return;
      emitter.off('newListener', onNewListener);
      resolve();
    };
    emitter.on('newListener', onNewListener);
  });
}

describe('the peer shell', () => {
  it('SendMessage of only spaces is refused like an empty one', () => {
    for (const line of ['SendMessage', 'SendMessage ', 'SendMessage    ', 'sendmessage \t ']) {
      expect(parseCommand(line)).toEqual({
        name: 'invalid',
        error: 'SendMessage needs a text: SendMessage <text>',
      });
    }
    expect(parseCommand('SendMessage  two spaces')).toEqual({ name: 'send', text: ' two spaces' });
  });

  it('Ctrl-C at the prompt leaves on a new line, so the terminal prompt starts on its own line', async () => {
    const peer = await manualPeer();
    const io = terminalStreams();
    const out = new Output(io.output, false);
    const shell = runPeerShell(peer, io, out, { joinTimeoutMs: 1_000 });
    io.input.write('\x03'); // Ctrl-C, as a terminal in raw mode sends it
    await shell;
    // The prompt (and a cursor move after it), then the newline.
    expect(io.written()).toMatch(/p2p> \S*\n$/);
  });

  it('a received Message is labelled with the neighbour it came through, and its origin when known', async () => {
    const peer = await manualPeer();
    const lines: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const human = reportPeerEvents(peer, new Output(sink, false));
    peer.emit('message', { text: 'hello', from: '127.0.0.1:5353', origin: null });
    peer.emit('message', { text: 'hi', from: '127.0.0.1:5353', origin: '127.0.0.1:6001' });
    human();
    const json = reportPeerEvents(peer, new Output(sink, true));
    peer.emit('message', { text: 'hello', from: '127.0.0.1:5353', origin: null });
    peer.emit('message', { text: 'hi', from: '127.0.0.1:5353', origin: '127.0.0.1:6001' });
    json();
    expect(lines).toEqual([
      '[via 127.0.0.1:5353] hello\n',
      '[from 127.0.0.1:6001 via 127.0.0.1:5353] hi\n',
      '{"event":"message","text":"hello","via":"127.0.0.1:5353","origin":null}\n',
      '{"event":"message","text":"hi","via":"127.0.0.1:5353","origin":"127.0.0.1:6001"}\n',
    ]);
  });

  it('Ctrl-C while SendMessage waits for the tree quits at once, and no prompt comes back', async () => {
    const peer = await peerThatCannotJoin();
    const io = terminalStreams();
    const shell = runPeerShell(peer, io, new Output(io.output, false), { joinTimeoutMs: 60_000 });
    const waiting = listenedTo(peer, 'joined');
    io.input.write('SendMessage hi\r');
    await waiting;
    expect(io.written()).toContain('waiting to join the tree (up to 60 s)…');
    io.input.write('\x03');
    await shell; // before: only once the 60 s had passed, then the prompt drawn twice
    const after = io.written().slice(io.written().indexOf('waiting to join'));
    expect(after).not.toContain('p2p> ');
  });

  it('a stop signal (SIGTERM) ends a script while SendMessage waits for the tree', async () => {
    const peer = await peerThatCannotJoin();
    const input = new PassThrough();
    const output = new PassThrough();
    const stopping = new AbortController();
    const shell = runPeerShell(peer, { input, output }, new Output(output, true), {
      joinTimeoutMs: 60_000,
      signal: stopping.signal,
    });
    const waiting = listenedTo(peer, 'joined');
    input.write('SendMessage hi\n');
    await waiting;
    stopping.abort();
    await shell; // quitting, not a failure to join
    expect(output.read()).toBeNull(); // nothing was sent, nothing said
  });

  it('after a reply the prompt is drawn once', async () => {
    const peer = await manualPeer();
    const io = terminalStreams();
    const shell = runPeerShell(peer, io, new Output(io.output, false), { joinTimeoutMs: 1_000 });
    io.input.write('neighbours\r');
    io.input.write('quit\r');
    await shell;
    const afterReply = io.written().slice(io.written().indexOf('no neighbours: not in the tree'));
    expect(afterReply.match(/p2p> /g)).toHaveLength(1);
  });

  it('SendMessage goes out at once from a peer whose parent acknowledged its Join while the root is away', async () => {
    // Attached (the parent took the Join) but no hello answered yet: the root's host is cut off.
    // Flooding needs no root, so the message must not wait for one.
    const sent: string[] = [];
    const attached = {
      mode: 'auto',
      parent: '127.0.0.1:7001',
      children: [],
      joinAcknowledged: true,
      root: '127.0.0.1:9',
      status: () => ({ joined: false }),
      joined: () => new Promise<string>(() => {}), // the root never answers
      checkMessage: () => {},
      broadcast: async (text: string) => {
        sent.push(text);
        return { delivered: 1, failed: [] };
      },
      on: () => attached,
      off: () => attached,
    } as unknown as Peer;
    const input = new PassThrough();
    const output = new PassThrough();
    const shell = runPeerShell(attached, { input, output }, new Output(output, true), {
      joinTimeoutMs: 60_000,
    });
    input.end('SendMessage root away\n');
    await shell;
    expect(sent).toEqual(['root away']);
  });
});
