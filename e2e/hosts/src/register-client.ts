/**
 * A raw TCP client that sends one Register request to the root, claiming any address, as an
 * attacker (or a node) would write it by hand: `node register-client.js ROOT CLAIM [LISTEN_HOST]`.
 * With LISTEN_HOST it first listens there on a free port and claims that port (CLAIM gives the host
 * only, `HOST:0`), so the root's Register response, if any, arrives here. Prints JSON lines:
 * `{"event":"listening","address":…}`, `{"event":"acked"}` when the root acknowledged the packet
 * (it read it), `{"event":"reply","kind":…}` for each packet the root sends back.
 */
import { connect, createServer, type Socket } from 'node:net';
import { encode, FrameDecoder, parseAddress } from '@p2p/codec';

function say(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

const [root, claim, listenHost] = process.argv.slice(2);
if (root === undefined || claim === undefined) {
  process.stderr.write('usage: register-client ROOT_HOST:PORT CLAIM_HOST:PORT [LISTEN_HOST]\n');
  process.exit(2);
}

let claimed = parseAddress(claim);
const accepted = new Set<Socket>();
const server = createServer((socket) => {
  accepted.add(socket);
  const decoder = new FrameDecoder();
  socket.on('data', (chunk) => {
    for (const frame of decoder.push(chunk)) {
      socket.write('ACK');
      say({ event: 'reply', kind: frame.packet.kind });
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => accepted.delete(socket));
});
if (listenHost !== undefined) {
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  const { port } = server.address() as { port: number };
  claimed = { host: claimed.host, port };
  say({ event: 'listening', address: `${listenHost}:${port}` });
}

const rootAddress = parseAddress(root);
const socket = connect(rootAddress.port, rootAddress.host);
socket.on('error', (error) => {
  say({ event: 'error', message: error.message });
});
socket.on('connect', () => {
  socket.write(encode({ kind: 'register-request', source: claimed, address: claimed }, 'binary'));
});
socket.on('data', (chunk) => {
  if (chunk.toString('latin1').startsWith('ACK')) say({ event: 'acked' });
});

// Runs until standard input ends (the test closes it, or stops the process).
process.stdin.resume();
process.stdin.on('end', () => {
  socket.destroy();
  for (const s of accepted) s.destroy();
  if (server.listening) server.close();
});
