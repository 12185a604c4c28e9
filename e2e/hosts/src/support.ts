import { ip } from './ip.js';
import { runPrefix, sweep } from './sweep.js';

export type Support = { ok: true } | { ok: false; reason: string };

/**
 * Whether this machine lets us make network namespaces: root, an `ip` command (iproute2), and an
 * `ip netns add` that works (containers without CAP_SYS_ADMIN refuse it). Tries one and removes it.
 */
export async function namespaceSupport(): Promise<Support> {
  if (process.platform !== 'linux')
    return { ok: false, reason: `network namespaces need Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'network namespaces need root (run as uid 0)' };
  try {
    await ip('-V');
  } catch (error) {
    return {
      ok: false,
      reason: `no usable ip command (install iproute2): ${(error as Error).message}`,
    };
  }
  const probe = `${runPrefix()}-probe`;
  try {
    await ip('netns', 'add', probe);
    await ip('-n', probe, 'link', 'add', 'br0', 'type', 'bridge');
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      reason: `cannot make a network namespace with a bridge: ${(error as Error).message}`,
    };
  } finally {
    await sweep(probe).catch(() => {});
  }
}
