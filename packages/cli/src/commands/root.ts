import {
  type RootServer,
  type RootServiceFlags,
  rootServerOptionsFrom,
  runRootService,
} from '@p2p/root-server';
import { createLogger } from '@p2p/stream';
import { dialAddresses, dialNote } from '../dial-addresses.js';
import { failure } from '../errors.js';
import { Output } from '../output.js';

export interface RootFlags extends RootServiceFlags {
  json?: boolean;
}

function report(server: RootServer, out: Output): void {
  const listen = server.listenAddress;
  // Advertised, the root answers by that name only; on 0.0.0.0, what peers dial instead.
  const advertised = server.address !== listen;
  const dial = advertised ? [server.address] : dialAddresses(listen);
  const where = advertised
    ? `root listening on ${listen}, advertised as ${server.address} (peers dial ${server.address})`
    : `root listening on ${listen}${dialNote(listen, dial)}`;
  out.event(
    'started',
    { address: server.address, listen, dial, http: server.httpAddress },
    server.httpAddress === null ? where : `${where}; dashboard http://${server.httpAddress}/`,
  );
  server.on('node-registered', ({ address }) =>
    out.event('node-registered', { address }, `registered ${address}`),
  );
  server.on('placed', ({ address, parent }) =>
    out.event('placed', { address, parent }, `placed ${address} under ${parent}`),
  );
  server.on('turned-off', ({ addresses, cause }) =>
    out.event('turned-off', { addresses, cause }, `turned off ${addresses.join(', ')} (${cause})`),
  );
  server.on('forgotten', ({ addresses }) =>
    out.event(
      'forgotten',
      { addresses },
      `forgot ${addresses.length === 1 ? addresses[0] : `${addresses.length} registrations`} (not heard from for --forget-after)`,
    ),
  );
  server.on('neighbour-added', ({ neighbour, role }) => {
    if (role === 'child')
      out.event('child-joined', { child: neighbour }, `${neighbour} joined as a child of the root`);
  });
  server.on('message', ({ text, from, origin }) =>
    out.event(
      'message',
      { text, via: from, origin },
      origin === null ? `[via ${from}] ${text}` : `[from ${origin} via ${from}] ${text}`,
    ),
  );
}

/** `p2p root`: the same service as `p2p-root`, with events on standard output. */
export async function rootCommand(flags: RootFlags): Promise<void> {
  const logger = createLogger(flags.logLevel, 'p2p-root', flags.logFormat);
  const out = new Output(process.stdout, flags.json === true);
  try {
    await runRootService({
      ...rootServerOptionsFrom(flags),
      logger,
      onStarted: (server) => report(server, out),
    });
  } catch (error) {
    throw failure('root failed', error);
  }
}
