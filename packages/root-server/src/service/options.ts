import { type Framing, isWildcardHost, parseAddress } from '@p2p/codec';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '@p2p/stream/logger';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { wholeNumber } from './whole-number.js';

// This module loads neither the root server nor the other packages' transports: `p2p` builds its
// `root` command from it to print its help (see the `./flags` export).

/** The flags of the root service as commander parses them. */
export interface RootServiceFlags {
  listen: string;
  advertise?: string;
  http: string;
  db: string;
  framing: Framing;
  timings: 'reference' | 'fast';
  helloInterval?: number;
  rootTimeout?: number;
  grace?: number;
  window?: number;
  /** False with `--no-lossless`. */
  lossless: boolean;
  /** '0' turns the lossless extension off (P2P_LOSSLESS). */
  losslessEnv?: '0' | '1';
  sourceIpCheck: SourceIpCheck;
  maxRegistered: number;
  standby?: boolean;
  forgetAfter?: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/**
 * A parser that checks a `HOST:PORT` flag when it is parsed, so that a bad value is bad usage
 * named with its flag or environment variable; `keywords` are accepted as they are.
 */
function addressFlag(example: string, ...keywords: string[]) {
  const hint = `expected HOST:PORT, e.g. ${example}${keywords.map((k) => `, or '${k}'`).join('')}`;
  return (value: string): string => {
    if (keywords.includes(value)) return value;
    try {
      parseAddress(value);
    } catch {
      throw new InvalidArgumentError(hint);
    }
    return value;
  };
}

/**
 * `--advertise`: a `HOST:PORT` peers can dial, so not 0.0.0.0 (which `--listen` takes); port 0
 * stands for the listening port.
 */
function advertiseFlag(value: string): string {
  let host: string;
  try {
    host = parseAddress(value).host;
  } catch {
    throw new InvalidArgumentError(
      'expected HOST:PORT, the address peers reach the root at, e.g. 203.0.113.5:5353',
    );
  }
  if (isWildcardHost(host)) {
    throw new InvalidArgumentError(
      `cannot advertise ${host}: it names every interface of a machine, not one peers can dial; give the address peers reach the root at`,
    );
  }
  return value;
}

const milliseconds = wholeNumber({ min: 1, unit: 'milliseconds' });
const forgetTime = wholeNumber({
  min: 1,
  unit: 'milliseconds',
  hint: '86400000 is a day',
  words: { never: Number.POSITIVE_INFINITY },
});

/** The `--source-ip-check` modes: `auto` is on unless the node listens on loopback. */
export type SourceIpCheck = 'auto' | 'on' | 'off';

/**
 * `--source-ip-check <mode>`, refusing what `refuses` says: the root's flag, and `p2p peer`'s (which
 * checks the lossless extension's packets only).
 */
export function sourceIpCheckOption(refuses: string): Option {
  return new Option(
    '--source-ip-check <mode>',
    `${refuses}; 'auto': on unless listening on loopback`,
  )
    .choices(['auto', 'on', 'off'])
    .default('auto');
}

/** The node option a `--source-ip-check` mode sets: none for `auto` (the node's default). */
export function verifySourceIpFrom(mode: SourceIpCheck): { verifySourceIp?: boolean } {
  return mode === 'auto' ? {} : { verifySourceIp: mode === 'on' };
}

/**
 * Adds the root service's flags, each with its environment variable, to a command. Shared by
 * `p2p-root` and `p2p root`, so both take the same flags.
 */
export function addRootServiceOptions(
  command: Command,
  defaults: { logLevel?: LogLevel } = {},
): Command {
  return command
    .addOption(
      new Option('--listen <host:port>', 'address of the root TCP server')
        .env('P2P_LISTEN')
        .argParser(addressFlag('127.0.0.1:5353'))
        .default('127.0.0.1:5353'),
    )
    .addOption(
      new Option(
        '--advertise <host:port>',
        'the address peers reach the root at, if not --listen (port 0: the listening port): ' +
          'the source of its packets and the origin of its Messages; peers must dial it ' +
          "(default: --listen; on 0.0.0.0, the address each peer dialled, and this machine's first external IPv4 as the origin)",
      )
        .env('P2P_ADVERTISE')
        .argParser(advertiseFlag),
    )
    .addOption(
      new Option('--http <host:port>', "address of the admin HTTP server ('off' for none)")
        .env('P2P_HTTP')
        .argParser(addressFlag('127.0.0.1:8080', 'off'))
        .default('127.0.0.1:8080'),
    )
    .addOption(
      new Option(
        '--db <path|url>',
        "the registry: a SQLite file (':memory:' keeps nothing) or a postgres:// URL",
      )
        .env('P2P_DB')
        .default('p2p-root.db'),
    )
    .addOption(
      new Option('--framing <framing>', 'framing for nodes not heard from yet')
        .choices(['binary', 'text'])
        .env('P2P_FRAMING')
        .default('binary'),
    )
    .addOption(
      new Option(
        '--timings <profile>',
        "timer profile: 'reference' (4 s hello, 36 s root timeout) or 'fast'",
      )
        .choices(['reference', 'fast'])
        .env('P2P_TIMINGS')
        .default('reference'),
    )
    .addOption(
      new Option('--hello-interval <ms>', 'hello interval, overrides the profile')
        .env('P2P_HELLO_INTERVAL')
        .argParser(milliseconds),
    )
    .addOption(
      new Option('--root-timeout <ms>', 'turn off nodes silent this long, overrides the profile')
        .env('P2P_ROOT_TIMEOUT')
        .argParser(milliseconds),
    )
    .addOption(
      new Option(
        '--grace <ms>',
        'after a restart, time restored nodes have to say hello (default: the root timeout)',
      )
        .env('P2P_GRACE')
        .argParser(milliseconds),
    )
    .addOption(
      new Option('--window <n>', 'unacknowledged packets per connection (1: lock-step)')
        .env('P2P_WINDOW')
        .argParser(wholeNumber({ min: 1, max: 1024 })),
    )
    .addOption(
      new Option(
        '--no-lossless',
        'turn the lossless extension off: plain protocol version 1 (env P2P_LOSSLESS=0)',
      ),
    )
    .addOption(
      new Option('--lossless-env <0|1>', 'P2P_LOSSLESS: 0 turns the lossless extension off')
        .env('P2P_LOSSLESS')
        .choices(['0', '1'])
        .hideHelp(),
    )
    .addOption(
      sourceIpCheckOption("refuse every packet claiming another IP than the connection's").env(
        'P2P_SOURCE_IP_CHECK',
      ),
    )
    .addOption(
      new Option('--max-registered <n>', 'refuse registrations beyond this many nodes')
        .env('P2P_MAX_REGISTERED')
        .argParser(wholeNumber({ min: 1 }))
        .default(100_000),
    )
    .addOption(
      new Option(
        '--standby',
        'with a postgres:// database: while another root leads it, wait as its standby instead of exiting',
      ).env('P2P_STANDBY'),
    )
    .addOption(
      new Option(
        '--forget-after <ms>',
        // The default is the root's own (DEFAULT_FORGET_AFTER), said here rather than imported, which
        // would load the server.
        "forget registrations of nodes out of the tree and silent this long ('never': keep them) (default: 86400000, a day)",
      )
        .env('P2P_FORGET_AFTER')
        .argParser(forgetTime),
    )
    .addOption(
      new Option('--log-level <level>', 'log level (logs go to standard error)')
        .choices(LOG_LEVELS)
        .env('P2P_LOG_LEVEL')
        .default(defaults.logLevel ?? 'info'),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        "logs as JSON lines, or 'pretty' readable lines; 'auto': pretty on a terminal",
      )
        .choices(LOG_FORMATS)
        .env('P2P_LOG_FORMAT')
        .default('auto'),
    );
}
