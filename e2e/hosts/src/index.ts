export { type BedHost, Testbed, type TestbedOptions } from './bed.js';
export { IpError, ip } from './ip.js';
export { type JsonEvent, NsProcess, runningProcesses, stopAll } from './ns-process.js';
export { HttpProbe, PeerProgram, RootProgram, registerClient } from './programs.js';
export { namespaceSupport, type Support } from './support.js';
export {
  NAME_PREFIX,
  runPrefix,
  type SweepReport,
  sweep,
  sweepAbandoned,
  sweepSync,
} from './sweep.js';
