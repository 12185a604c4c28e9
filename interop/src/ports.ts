import net from 'node:net';

/**
 * A port free on 127.0.0.1 right now, for the reference, which cannot be told to pick one (it
 * needs its port before it binds, and without SO_REUSEADDR a port it used stays busy for a while:
 * every node gets a new one). Binding it and closing at once leaves no TIME_WAIT behind.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
