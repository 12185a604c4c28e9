export {
  type AddressMove,
  AddressMover,
  type AddressMoverEvents,
  type MoverCandidate,
} from './address-mover.js';
export { type BedHost, Testbed, type TestbedOptions } from './bed.js';
export { IpError, ip } from './ip.js';
export { type JsonEvent, NsProcess, runningProcesses, stopAll } from './ns-process.js';
export { POSTGRES_INSTALL, PostgresHost, postgresSupport } from './postgres-host.js';
export { HttpProbe, PeerProgram, RootProgram, registerClient } from './programs.js';
export { ServiceAddress, VRRP_MAC } from './service-address.js';
export { type StandbyRootOptions, StandbyRootProgram } from './standby-root.js';
export { namespaceSupport, type Support } from './support.js';
export {
  NAME_PREFIX,
  runPrefix,
  type SweepReport,
  sweep,
  sweepAbandoned,
  sweepSync,
} from './sweep.js';
