import pino from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A pino logger writing JSON lines to standard error, synchronously so nothing is lost on exit. */
export function createLogger(level: LogLevel, name: string): pino.Logger {
  return pino({ name, level }, pino.destination({ dest: 2, sync: true }));
}
