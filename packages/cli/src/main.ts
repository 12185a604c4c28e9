import { createRequire } from 'node:module';
import {
  addRootServiceOptions,
  MAX_TIMER_MS,
  sourceIpCheckOption,
  wholeNumber,
} from '@p2p/root-server/flags';
import { LOG_LEVELS } from '@p2p/stream/logger';
import { Command, CommanderError, Option } from 'commander';
import { CliError, ExitCode, exitCodeFor } from './errors.js';
import { shellHelp } from './shell/parse-command.js';

// Only light modules here: each command's implementation (and the packages it needs: the root
// server, the transport) is imported by its action, when it runs.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const FRAMINGS = ['binary', 'text'];
/** The most peers `p2p demo` starts in one process. */
const MAX_DEMO_PEERS = 2_000;

const framingOption = () =>
  new Option('--framing <framing>', 'framing for nodes not heard from yet')
    .choices(FRAMINGS)
    .default('binary');
const logLevelOption = (fallback: string) =>
  new Option('--log-level <level>', 'log level (logs go to standard error)')
    .choices([...LOG_LEVELS])
    .default(fallback);
const jsonOption = () => new Option('--json', 'events as JSON lines on standard output');
const timingsOption = () =>
  new Option(
    '--timings <profile>',
    "protocol timers: 'reference' (4 s hello, 38 s timeout) or 'fast'",
  )
    .choices(['reference', 'fast'])
    .default('reference');

/** Builds the `p2p` program. Commands are loaded when they run, so `--help` stays instant. */
export function buildProgram(): Command {
  const program = new Command('p2p')
    .description('Run and inspect a tree-shaped peer-to-peer broadcast network.')
    .version(version, '-V, --version', 'print the version of p2p')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .exitOverride();

  addRootServiceOptions(
    program
      .command('root')
      .description('run the root service: registry, tree placement, liveness, admin HTTP'),
    // Its events are printed on standard output: info logs would say each one a second time.
    { logLevel: 'warn' },
  )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Every flag can also be set by the environment variable shown.

Examples:
  p2p root                                   # 127.0.0.1:5353, admin on http://127.0.0.1:8080
  p2p root --listen 0.0.0.0:5353 --http 0.0.0.0:8080 --db /var/lib/p2p/root.db
  p2p root --listen 0.0.0.0:5353 --advertise 203.0.113.5:5353   # behind NAT: peers dial 203.0.113.5:5353
  p2p root --db :memory: --timings fast --json`,
    )
    .action(async (options) => (await import('./commands/root.js')).rootCommand(options));

  program
    .command('peer')
    .description('run a peer with an interactive shell (reads commands from standard input)')
    .requiredOption(
      '--root <host:port[,host:port…]>',
      'address of the root; several (active/standby roots on their own addresses): the peer talks to the one that answers',
    )
    .option(
      '--listen <host:port>',
      "this peer's TCP server address (port 0: any free port); default 127.0.0.1:0, or 0.0.0.0:0 with a root on another machine",
    )
    .option(
      '--advertise <host:port>',
      'the address other nodes reach this peer at, if not --listen (port 0: the listening port); ' +
        'default: --listen, or on 0.0.0.0 the interface that reaches the root',
    )
    .option(
      '--join-timeout <ms>',
      'how long SendMessage waits for the peer to join the tree (auto mode)',
      wholeNumber({ min: 1, max: MAX_TIMER_MS, unit: 'milliseconds' }),
      10_000,
    )
    .option('--manual', 'do not join automatically: type Register and Advertise yourself')
    .option(
      '--no-lossless',
      'turn the lossless extension off: plain protocol version 1 (no origin, no repair after a failure)',
    )
    .addOption(
      sourceIpCheckOption(
        "refuse the lossless extension's packets (offers, Digests, Identified Messages) claiming another IP than the connection's",
      ),
    )
    .addOption(timingsOption())
    .addOption(framingOption())
    .addOption(jsonOption())
    .addOption(logLevelOption('error'))
    .addHelpText(
      'after',
      `
${shellHelp}

SendMessage waits until the peer has joined the tree (--join-timeout); a script whose peer cannot
join exits 1.

Examples:
  p2p peer --root 127.0.0.1:5353 --listen 127.0.0.1:6501
  p2p peer --root 192.168.1.10:5353 --listen 0.0.0.0:6501     # another machine's root
  p2p peer --root 10.0.0.11:5353,10.0.0.12:5353               # active/standby roots, each on its own address
  printf 'SendMessage hello\\nquit\\n' | p2p peer --root 127.0.0.1:5353 --json`,
    )
    .action(async (options) => (await import('./commands/peer.js')).peerCommand(options));

  program
    .command('demo')
    .description('start a root and N peers on loopback in this process, print the tree, broadcast')
    .option('--peers <n>', 'number of peers', wholeNumber({ min: 1, max: MAX_DEMO_PEERS }), 7)
    .option('--http <host:port>', 'address of the dashboard and admin HTTP server', '127.0.0.1:0')
    .addOption(timingsOption().default('fast'))
    .addOption(framingOption())
    .addOption(jsonOption())
    .addOption(logLevelOption('warn'))
    .option('--no-prompt', 'exit after the first broadcast instead of waiting for more messages')
    .option('--no-lossless', 'turn the lossless extension off: plain protocol version 1')
    .addHelpText(
      'after',
      `
Examples:
  p2p demo                  # 7 peers, then type messages to broadcast; Ctrl-C to stop
  p2p demo --peers 31 --no-prompt`,
    )
    .action(async (options) => (await import('./commands/demo.js')).demoCommand(options));

  program
    .command('decode')
    .description('decode captured frames (either framing) and print each packet as a JSON line')
    .argument('[hex]', 'frame bytes as hex; read from standard input when absent')
    .option('--file <path>', 'a file of raw captured bytes instead of hex')
    .option('--max-body <bytes>', 'largest body accepted', wholeNumber({ unit: 'bytes' }))
    .addHelpText(
      'after',
      `
Examples:
  p2p decode 31303430303030353132372e3030302e3030302e303031303533353368656c6c6f
  tshark -r cap.pcap -T fields -e tcp.payload | p2p decode
  p2p decode --file stream.bin`,
    )
    .action(async (hex, options) =>
      (await import('./commands/decode.js')).decodeCommand(hex, options),
    );

  program.addHelpText(
    'after',
    `
Examples:
  p2p demo                                          # a root and 7 peers on loopback
  p2p root --listen 0.0.0.0:5353                    # a root other machines can reach
  p2p peer --root 127.0.0.1:5353                    # a peer with its shell
  printf 'SendMessage hello\\nquit\\n' | p2p peer --root 127.0.0.1:5353 --json
  p2p decode 31303430303030353132372e3030302e3030302e303031303533353368656c6c6f

Run p2p <command> --help for a command's options.`,
  );

  return program;
}

/** A program whose standard-error output is collected in `held` rather than written. */
function buildHeldProgram(held: string[]): Command {
  const program = buildProgram();
  const hold = (text: string) => held.push(text);
  for (const command of [program, ...program.commands])
    command.configureOutput({ ...command.configureOutput(), writeErr: hold, outputError: hold });
  return program;
}

/**
 * commander checks required options before unknown ones, so `peer --rot x` said "required option
 * --root" instead of pointing at the typo. When a required option is missing and the command line
 * also has an unknown option, it is parsed again with no option required, so that commander
 * reports the unknown one (with its "did you mean"). Returns that error, or undefined.
 */
async function unknownOptionError(argv: readonly string[], held: string[]): Promise<unknown> {
  const program = buildHeldProgram(held);
  const command = program.commands.find((c) => c.name() === argv[0]);
  const [flag] = command?.parseOptions(argv.slice(1)).unknown ?? [];
  if (command === undefined || !flag?.startsWith('-')) return undefined;
  for (const option of command.options) option.makeOptionMandatory(false);
  held.length = 0;
  // Rejects at the unknown option, before any action runs.
  return program.parseAsync([...argv], { from: 'user' }).then(
    () => undefined,
    (error: unknown) => error,
  );
}

/**
 * Runs the program; resolves with the exit code (from `exitCodeFor`, the table shared with
 * `p2p-root`) instead of exiting, so tests can call it.
 */
export async function run(argv: readonly string[]): Promise<number> {
  // What commander writes to standard error is held until it is known which error to show.
  const held: string[] = [];
  const program = buildHeldProgram(held);
  try {
    try {
      await program.parseAsync([...argv], { from: 'user' });
      return ExitCode.Ok;
    } catch (error) {
      if ((error as { code?: string }).code !== 'commander.missingMandatoryOptionValue')
        throw error;
      const kept = [...held];
      const unknown = await unknownOptionError(argv, held);
      if (unknown === undefined) held.splice(0, held.length, ...kept);
      throw unknown ?? error;
    }
  } catch (error) {
    // commander has explained its own errors (held, printed below).
    if (!(error instanceof CommanderError)) {
      const known =
        error instanceof CliError || typeof (error as { code?: unknown }).code === 'string';
      process.stderr.write(
        `p2p: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`,
      );
    }
    return exitCodeFor(error);
  } finally {
    for (const text of held) process.stderr.write(text);
  }
}
