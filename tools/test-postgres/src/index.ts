import './provided-context.js';

export { type Binaries, findPostgres, POSTGRES_INSTALL, serverUser } from './binaries.js';
export { freePort, PostgresCluster, STORE_USER } from './cluster.js';
export { killProcessesIn, processesIn, stopProcessesIn } from './processes.js';
