import { parseArgs } from 'node:util';
import { type WholeNumberRange, wholeNumber } from '@p2p/root-server/flags';

export const SCENARIOS = [
  'formation',
  'memory',
  'latency',
  'throughput',
  'recovery',
  'root',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The scenarios `--hosts` runs across a namespace bed. */
export const ACROSS_HOSTS: readonly Scenario[] = ['formation', 'latency'];

export interface Options {
  scenarios: Scenario[];
  /** Sizes per scenario (peers besides the root). */
  sizes: Record<Scenario, number[]>;
  rounds: number;
  /** Worker processes of the spread layout (0: no spread runs). */
  workers: number;
  /** Hosts of the network-namespace bed, one worker each (0: loopback, no bed). */
  hosts: number;
  /** The spread layout runs for sizes up to this. */
  spreadUpTo: number;
  latencyMessages: number;
  throughputMessages: number;
  windows: number[];
  /**
   * The horizon row: plain version 1 with this window beside the raw flood with the same window
   * and batched writes; 0 for none.
   */
  horizon: number;
  /**
   * Plain version 1 (false) and/or the lossless extension (true) for formation, memory, latency,
   * throughput and recovery; formation and memory take the first.
   */
  lossless: boolean[];
  /** Timing profile of the nodes in every scenario but root. */
  timings: 'fast' | 'reference';
  helloNodes: number;
  rootMs: number;
  json: string | undefined;
}

/** The largest send window the packages accept (`window` of the stream, the peer and the root). */
export const HORIZON_WINDOW = 65_536;

/** Messages of the burst the memory scenario sends after formation (caches fill at 1,024). */
export const MEMORY_BURST = 2_000;

export const USAGE = `Network benchmarks: whole trees of real peers on 127.0.0.1 against a raw node:net flood.

  pnpm bench:net [-- options]        (from the repository root; builds the packages first)

Options
  --scenario LIST   formation,memory,latency,throughput,recovery,root or all (default all)
  --sizes LIST      peer counts besides the root, for every scenario (default: 15,63,255,1023
                    for formation and memory, 15,63,255 for the others; root ignores it)
  --full            every size for every scenario and 3 rounds (long: throughput at N = 1023
                    alone takes several minutes per run)
  --rounds N        rounds per measurement; figures are medians over rounds (default 1)
  --workers K       worker processes of the spread layout, run for N <= 63 (default 3; 0: none)
  --hosts H         run formation and latency across H hosts: a bed of Linux network namespaces
                    (root and iproute2 needed), the root on a host of its own and one worker
                    process of peers on each host, every node on its host's address
  --messages N      latency: messages per origin (default 200)
  --burst N         throughput: messages per run (default 5000)
  --windows LIST    throughput: send windows of plain version 1 (default 1,16)
  --horizon W       throughput: the horizon row, our best configuration (plain version 1 with
                    window W) beside the raw flood with window W whose writes are batched (one
                    write per connection per event-loop turn); default 65536, the largest window
                    the packages accept; 0: no horizon row (only with --lossless including off)
  --lossless LIST   on,off: the lossless extension (the default configuration: negotiated window
                    32, plus a row forced to window 1) and/or plain version 1 (lossless: false),
                    for latency, throughput and recovery; formation and memory use the first
                    (default on,off)
  --timings NAME    reference (hello every 4 s: the protocol's timings and the packages'
                    default) or fast (250 ms); fast shows what a 16x faster heartbeat costs
                    (recovery with reference timings waits out a 38 s peer timeout per run)
  --hello-nodes N   root: simulated nodes (default 1023)
  --root-ms MS      root: duration of the hello and placement phases (default 2000)
  --json FILE       write every result as JSON
  --help            this text
`;

/**
 * A whole number from an option or environment variable `what`, within `range` (the parser of
 * every integer flag of `p2p` and `p2p-root`); throws naming `what` for bad usage.
 */
export function wholeNumberOf(text: string, what: string, range: WholeNumberRange = {}): number {
  try {
    return wholeNumber(range)(text);
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}, got "${text}"`);
  }
}

function list(text: string, what: string): number[] {
  return text.split(',').map((part) => wholeNumberOf(part.trim(), `--${what}`, { min: 1 }));
}

function count(
  text: string | undefined,
  what: string,
  fallback: number,
  range: WholeNumberRange = {},
): number {
  return text === undefined ? fallback : wholeNumberOf(text, `--${what}`, range);
}

/** Parses the command line; throws with a message for bad usage; undefined for --help. */
export function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      sizes: { type: 'string' },
      full: { type: 'boolean' },
      rounds: { type: 'string' },
      workers: { type: 'string' },
      hosts: { type: 'string' },
      messages: { type: 'string' },
      burst: { type: 'string' },
      windows: { type: 'string' },
      horizon: { type: 'string' },
      lossless: { type: 'string' },
      timings: { type: 'string' },
      'hello-nodes': { type: 'string' },
      'root-ms': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const hosts = count(values.hosts, 'hosts', 0);
  const names =
    values.scenario === undefined || values.scenario === 'all'
      ? hosts > 0
        ? ACROSS_HOSTS
        : SCENARIOS
      : values.scenario.split(',');
  if (hosts > 0 && names.some((name) => !(ACROSS_HOSTS as readonly string[]).includes(name)))
    throw new Error(`--hosts runs ${ACROSS_HOSTS.join(' and ')} only`);
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new Error(`unknown scenario "${name}"; choose from ${SCENARIOS.join(', ')} or all`);
  }
  const all = [15, 63, 255, 1023];
  const small = values.full ? all : [15, 63, 255];
  const given = values.sizes === undefined ? undefined : list(values.sizes, 'sizes');
  const sizes = {} as Record<Scenario, number[]>;
  for (const scenario of SCENARIOS) {
    const fallback = scenario === 'formation' || scenario === 'memory' ? all : small;
    sizes[scenario] = (given ?? fallback).filter((n) => scenario !== 'recovery' || n >= 7);
  }
  const timings = values.timings ?? 'reference';
  if (timings !== 'fast' && timings !== 'reference')
    throw new Error(`--timings takes fast or reference, got "${timings}"`);
  const lossless = (values.lossless ?? 'on,off').split(',').map((part) => {
    if (part.trim() === 'on') return true;
    if (part.trim() === 'off') return false;
    throw new Error(`--lossless takes on, off or both, got "${values.lossless}"`);
  });
  return {
    scenarios: SCENARIOS.filter((s) => names.includes(s)),
    sizes,
    rounds: count(values.rounds, 'rounds', values.full ? 3 : 1, { min: 1 }),
    workers: count(values.workers, 'workers', 3),
    hosts,
    spreadUpTo: 63,
    latencyMessages: count(values.messages, 'messages', 200, { min: 1 }),
    throughputMessages: count(values.burst, 'burst', 5000, { min: 1 }),
    windows: values.windows === undefined ? [1, 16] : list(values.windows, 'windows'),
    horizon: count(values.horizon, 'horizon', HORIZON_WINDOW, { max: HORIZON_WINDOW }),
    lossless: [...new Set(lossless)],
    timings,
    helloNodes: count(values['hello-nodes'], 'hello-nodes', 1023, { min: 3 }),
    rootMs: count(values['root-ms'], 'root-ms', 2000, { min: 100 }),
    json: values.json,
  };
}
