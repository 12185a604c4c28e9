import { parseAddress } from '@p2p/codec';
import { type CachedMessage, cachedMessage } from '../../src/lossless/message-cache.js';

/** A Message of `origin` (a port on 127.0.0.1, or 'HOST:PORT') for the cache and record tests. */
export function message(
  origin: number | string,
  seq: number,
  options: { epoch?: number; start?: boolean; text?: string; from?: string | null } = {},
): CachedMessage {
  return cachedMessage(
    typeof origin === 'number' ? `127.0.0.1:${origin}` : origin,
    options.epoch ?? 1_000,
    seq,
    'origin',
    options.start ?? false,
    options.text ?? `${origin}#${seq}`,
    options.from === undefined ? '127.0.0.1:9000' : options.from,
  );
}

/** A digest entry for `origin` (a port on 127.0.0.1). */
export function seen(origin: number, hwm: number, epoch = 1_000) {
  return { origin: parseAddress(`127.0.0.1:${origin}`), epoch, hwm };
}
