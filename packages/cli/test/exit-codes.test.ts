import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { P2pProcess, runP2p } from './processes.js';

const servers: Server[] = [];
const processes: P2pProcess[] = [];
afterEach(async () => {
  for (const proc of processes.splice(0)) {
    proc.kill();
    await proc.exited;
  }
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An HTTP server on a free loopback port, like the root's admin HTTP. */
async function httpServer(): Promise<string> {
  const server = createServer((_request, response) => response.end('ok\n'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const quietRoot = ['root', '--db', ':memory:', '--listen', '127.0.0.1:0'];

describe('every mistake gets the same exit code, and a message naming it and what to do', () => {
  it('a root address that is not HOST:PORT is bad usage (2), like a peer’s', async () => {
    const root = await runP2p(['root', '--listen', 'nonsense', '--db', ':memory:']);
    expect(root.code).toBe(2);
    expect(root.stderr).toContain("option '--listen <host:port>' argument 'nonsense' is invalid");
    expect(root.stderr).toContain('expected HOST:PORT');
    const peer = await runP2p(['peer', '--root', 'nonsense']);
    expect(peer.code).toBe(2);
    const http = await runP2p([...quietRoot, '--http', 'somewhere']);
    expect(http.code).toBe(2);
    expect(http.stderr).toContain("or 'off'");
  });

  it('a bad value from the environment names the variable', async () => {
    const { code, stderr } = await runP2p(['root', '--db', ':memory:'], '', {
      P2P_LISTEN: 'bogus',
    });
    expect(code).toBe(2);
    expect(stderr).toContain("value 'bogus' from env 'P2P_LISTEN' is invalid");
  });

  it('an admin HTTP port in use: exit 1 with one readable line, no raw logs', async () => {
    const taken = await httpServer();
    const { code, stderr } = await runP2p([...quietRoot, '--http', taken]);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot serve admin HTTP on ${taken}: the address is already in use`);
    expect(stderr).toContain('pick another port');
    expect(stderr).not.toContain('EADDRINUSE');
    expect(stderr).not.toContain('{"level"');
  });

  it('a peer pointed at an HTTP port is told it looks like an HTTP server', async () => {
    const http = await httpServer();
    const peer = new P2pProcess(['peer', '--root', http, '--json', '--timings', 'fast']);
    processes.push(peer);
    const event = await peer.waitFor((e) => e.event === 'root-unreachable');
    expect(event.error).toContain('answered like an HTTP server');
    expect(event.error).toContain('admin HTTP port rather than the TCP port');
  });

  it('a mistyped option is reported as unknown, even when it hides a required one', async () => {
    const { code, stderr } = await runP2p(['peer', '--rot', '127.0.0.1:5353']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--rot'");
    expect(stderr).toContain('Did you mean --root?');
    expect(stderr).not.toContain('required option');
    // A required option that is simply missing is still reported as missing.
    const missing = await runP2p(['peer']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "required option '--root <host:port[,host:port…]>' not specified",
    );
  });
});
