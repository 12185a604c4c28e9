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

function terminalStreams() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  let written = '';
  output.on('data', (chunk: Buffer) => {
    written += chunk.toString();
  });
  return { input, output, written: () => written };
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

  it('a received Message is labelled with the neighbour it came through, not as its author', async () => {
    const peer = await manualPeer();
    const lines: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const human = reportPeerEvents(peer, new Output(sink, false));
    peer.emit('message', { text: 'hello', from: '127.0.0.1:5353' });
    human();
    const json = reportPeerEvents(peer, new Output(sink, true));
    peer.emit('message', { text: 'hello', from: '127.0.0.1:5353' });
    json();
    expect(lines).toEqual([
      '[via 127.0.0.1:5353] hello\n',
      '{"event":"message","text":"hello","via":"127.0.0.1:5353"}\n',
    ]);
  });
});
