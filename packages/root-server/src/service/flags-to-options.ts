import { fastTimings } from '@p2p/peer';
import type { RootServerOptions } from '../root-server.js';
import { type RootServiceFlags, verifySourceIpFrom } from './options.js';

/** Turns parsed flags into RootServer options (and `standby` for `runRootService`). */
export function rootServerOptionsFrom(
  flags: RootServiceFlags,
): RootServerOptions & { standby: boolean } {
  return {
    standby: flags.standby === true,
    listen: flags.listen,
    ...(flags.advertise === undefined ? {} : { advertise: flags.advertise }),
    http: flags.http === 'off' ? null : flags.http,
    store: flags.db,
    framing: flags.framing,
    timings: {
      ...(flags.timings === 'fast' ? fastTimings : {}),
      ...(flags.helloInterval === undefined ? {} : { helloInterval: flags.helloInterval }),
      ...(flags.rootTimeout === undefined ? {} : { rootTimeout: flags.rootTimeout }),
    },
    ...(flags.grace === undefined ? {} : { grace: flags.grace }),
    ...(flags.window === undefined ? {} : { window: flags.window }),
    ...(flags.lossless === false || flags.losslessEnv === '0' ? { lossless: false } : {}),
    ...verifySourceIpFrom(flags.sourceIpCheck),
    maxRegistered: flags.maxRegistered,
    ...(flags.forgetAfter === undefined ? {} : { forgetAfter: flags.forgetAfter }),
  };
}
