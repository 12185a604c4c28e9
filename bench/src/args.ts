import { parseArgs } from 'node:util';

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
  /** Timing profile of the nodes in formation, latency and throughput (recovery is always fast). */
  timings: 'fast' | 'reference';
  helloNodes: number;
  rootMs: number;
  json: string | undefined;
}

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
  --windows LIST    throughput: send windows (default 1,16)
  --timings NAME    reference (hello every 4 s: the protocol's timings and the packages'
                    default) or fast (250 ms) for formation, latency and throughput; fast shows
                    what a 16x faster heartbeat costs. Recovery always runs fast
  --hello-nodes N   root: simulated nodes (default 1023)
  --root-ms MS      root: duration of the hello and placement phases (default 2000)
  --json FILE       write every result as JSON
  --help            this text
`;

function list(text: string, what: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  for (const value of values) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`--${what} takes positive integers separated by commas, got "${text}"`);
  }
  return values;
}

function positive(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`--${what} takes a non-negative integer, got "${text}"`);
  return value;
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
  const hosts = positive(values.hosts, 'hosts', 0);
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
  const rounds = positive(values.rounds, 'rounds', values.full ? 3 : 1);
  return {
    scenarios: SCENARIOS.filter((s) => names.includes(s)),
    sizes,
    rounds: Math.max(1, rounds),
    workers: positive(values.workers, 'workers', 3),
    hosts,
    spreadUpTo: 63,
    latencyMessages: Math.max(1, positive(values.messages, 'messages', 200)),
    throughputMessages: Math.max(1, positive(values.burst, 'burst', 5000)),
    windows: values.windows === undefined ? [1, 16] : list(values.windows, 'windows'),
    timings,
    helloNodes: Math.max(3, positive(values['hello-nodes'], 'hello-nodes', 1023)),
    rootMs: Math.max(100, positive(values['root-ms'], 'root-ms', 2000)),
    json: values.json,
  };
}
