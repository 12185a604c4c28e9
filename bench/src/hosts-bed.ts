import { spawn } from 'node:child_process';
import { type BedHost, namespaceSupport, Testbed } from '@p2p/e2e-hosts';

/** A host of the bed as the benchmark uses it: the namespace to start in, the address to listen on. */
export interface BedPlace {
  namespace: string;
  address: string;
}

/** The bed a `--hosts` run measures on: the root's host and one host per worker process. */
export interface BedLayout {
  root: BedPlace;
  hosts: BedPlace[];
}

/** How the outer process tells the benchmark it starts inside the bed where it runs. */
const BED_ENV = 'P2P_BENCH_BED';

/** The bed this process runs in, or undefined (not started by `runInBed`). */
export function currentBed(): BedLayout | undefined {
  const text = process.env[BED_ENV];
  return text === undefined || text === '' ? undefined : (JSON.parse(text) as BedLayout);
}

const place = (host: BedHost): BedPlace => ({ namespace: host.namespace, address: host.address });

/**
 * `--hosts H`: builds a bed of H + 1 namespaces (the root's host and H peer hosts, see
 * @p2p/e2e-hosts), runs this same benchmark inside the root's namespace (it then starts one worker
 * process in each peer host), and removes the bed, also when interrupted. Resolves with the
 * benchmark's exit code.
 */
export async function runInBed(hosts: number, log: (line: string) => void): Promise<number> {
  const support = await namespaceSupport();
  if (!support.ok) throw new Error(`--hosts needs network namespaces: ${support.reason}`);
  const names = ['root', ...Array.from({ length: hosts }, (_, i) => `h${i + 1}`)];
  const bed = await Testbed.create({ hosts: names });
  try {
    const layout: BedLayout = {
      root: place(bed.host('root')),
      hosts: bed.hosts.filter((h) => h.name !== 'root').map(place),
    };
    log(
      `bed ${bed.prefix}: root on ${layout.root.address}, ${hosts} hosts from ${layout.hosts[0]?.address}`,
    );
    const script = process.argv[1] as string;
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        layout.root.namespace,
        process.execPath,
        ...process.execArgv,
        script,
        ...process.argv.slice(2),
      ],
      { stdio: 'inherit', env: { ...process.env, [BED_ENV]: JSON.stringify(layout) } },
    );
    return await new Promise<number>((resolve) => {
      child.once('error', () => resolve(1));
      child.once('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    const left = await bed.destroy();
    if (left.processes.length > 0)
      log(`killed ${left.processes.length} processes still running in the bed`);
  }
}
