import { fork } from 'node:child_process';
import { RootServer } from '@p2p/root-server';
import { RawRoot } from '../raw-root.js';
import type { RootCapacityResult } from '../results.js';
import type { SimRequest, SimResult } from '../root-sim.js';

const simScript = new URL('../root-sim.ts', import.meta.url);

type SimMessage = { result?: SimResult; error?: string; phase?: string };

/**
 * Runs the load generator (root-sim.ts) in a child process against `root`; `onPhase` hears when
 * each phase starts.
 */
function runSimulator(request: SimRequest, onPhase: (phase: string) => void): Promise<SimResult> {
  const child = fork(simScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<SimResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let answer: SimMessage = {};
    child.on('message', (message: SimMessage) => {
      if (message.phase !== undefined) onPhase(message.phase);
      else answer = message;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer.result !== undefined) resolve(answer.result);
      else reject(new Error(answer.error ?? `root simulator exited (${code ?? signal})`));
    });
    child.send(request);
  });
}

/** The reference: hellos per second a raw root answers, same window, same path length. */
async function rawHellosPerSecond(
  window: number,
  pathLength: number,
  durationMs: number,
): Promise<number> {
  const raw = new RawRoot(window);
  try {
    const root = await raw.listen();
    const sim = await runSimulator(
      {
        root,
        nodes: 2,
        durationMs,
        outstanding: outstandingFor(window),
        rawPathLength: pathLength,
      },
      () => {},
    );
    return sim.hellosPerSecond;
  } finally {
    await raw.close();
  }
}

/** Hellos each of the root's two children keeps unanswered: enough to keep the root busy. */
function outstandingFor(window: number): number {
  return window === 1 ? 256 : 512;
}

/**
 * Scenario 5: a root alone in this process, and `nodes` simulated nodes in a child process (so
 * that each has a core): registrations and first placements per second, Reunion hellos per
 * second the root answers (paths matching its tree, sent by its two children), then placements
 * per second with every node re-advertising in a loop. Then the same hellos against a raw root
 * (raw-root.ts) with the same window, as the reference.
 */
export async function rootCapacity(
  window: number,
  nodes: number,
  durationMs: number,
): Promise<RootCapacityResult> {
  const root = await RootServer.start({
    listen: '127.0.0.1:0',
    http: null,
    store: ':memory:',
    timings: 'fast',
    window,
    stream: { maxConnections: nodes + 64 },
  });
  try {
    // This process's CPU time over wall time while the hellos flow: the root's share of a core.
    let cpu = process.cpuUsage();
    let wall = performance.now();
    let hellosBefore = 0;
    let rootHellos = 0;
    let rootCpu = Number.NaN;
    const sim = await runSimulator(
      { root: root.address, nodes, durationMs, outstanding: outstandingFor(window) },
      (phase) => {
        if (phase === 'hellos') {
          cpu = process.cpuUsage();
          wall = performance.now();
          hellosBefore = root.node.rootCounters.hellos;
        } else if (phase === 'placements') {
          const used = process.cpuUsage(cpu);
          rootCpu = (used.user + used.system) / 1000 / (performance.now() - wall);
          rootHellos = root.node.rootCounters.hellos - hellosBefore;
        }
      },
    );
    const drops = Object.values(root.node.counters.dropped).reduce((a, b) => a + b, 0);
    await root.close();
    const rawHellos = await rawHellosPerSecond(window, Math.round(sim.meanPathLength), durationMs);
    return {
      window,
      nodes,
      registerPerSecond: sim.registerPerSecond,
      firstPlacementsPerSecond: sim.firstPlacementsPerSecond,
      hellosPerSecond: sim.hellosPerSecond,
      rawHellosPerSecond: rawHellos,
      meanPathLength: sim.meanPathLength,
      placementsPerSecond: sim.placementsPerSecond,
      rootHellos,
      rootDrops: drops,
      rootCpu,
    };
  } finally {
    await root.close();
  }
}
