// The clock lives in @p2p/stream, the lowest package with timers; re-exported for peer code.
export { type Clock, ManualClock, systemClock, type TimerHandle } from '@p2p/stream';
