import type { Logger } from '@p2p/stream';
import { describe, expect, it } from 'vitest';
import { ManualClock, RefusalLog } from '../src/index.js';

/** A logger that keeps its warnings' fields. */
function warnings(): { logger: Logger; lines: object[] } {
  const lines: object[] = [];
  const ignore = () => {};
  return {
    lines,
    logger: { debug: ignore, info: ignore, error: ignore, warn: (obj) => lines.push(obj) },
  };
}

describe('RefusalLog: the source check warns once per connection host per interval', () => {
  it('logs the first refusal, counts the rest, and says how many went unlogged an interval later', () => {
    const clock = new ManualClock();
    const { logger, lines } = warnings();
    const log = new RefusalLog(clock, logger, 60_000);
    for (let i = 0; i < 1000; i++) log.refused('127.0.0.2:7000', '127.0.0.1', 'identified-message');
    log.refused('127.0.0.3:7000', '127.0.0.9', 'digest'); // another host: its own line
    expect(lines).toEqual([
      { claimed: '127.0.0.2:7000', connection: '127.0.0.1', kind: 'identified-message' },
      { claimed: '127.0.0.3:7000', connection: '127.0.0.9', kind: 'digest' },
    ]);
    clock.advance(59_999);
    log.refused('127.0.0.2:7000', '127.0.0.1', 'digest');
    expect(lines).toHaveLength(2);
    clock.advance(1);
    log.refused('127.0.0.2:7000', '127.0.0.1', 'digest');
    expect(lines[2]).toEqual({
      claimed: '127.0.0.2:7000',
      connection: '127.0.0.1',
      kind: 'digest',
      unlogged: 1000,
    });
  });
});
