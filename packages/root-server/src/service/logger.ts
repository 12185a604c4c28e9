import pino from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How logs are written: JSON lines, readable lines, or readable only on a terminal. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The format `auto` stands for: readable lines for a person at a terminal, JSON for programs. */
export function resolveLogFormat(format: LogFormat, isTerminal: boolean): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return isTerminal ? 'pretty' : 'json';
}

/**
 * A pino logger on standard error, written synchronously so nothing is lost on exit: JSON lines,
 * or pino-pretty's readable lines (colours only on a terminal). `auto` (the default) picks
 * readable lines when standard error is a terminal.
 */
export function createLogger(
  level: LogLevel,
  name: string,
  format: LogFormat = 'auto',
): pino.Logger {
  const isTerminal = process.stderr.isTTY === true;
  if (resolveLogFormat(format, isTerminal) === 'json')
    return pino({ name, level }, pino.destination({ dest: 2, sync: true }));
  return pino(
    { name, level },
    pretty({
      destination: 2,
      sync: true,
      colorize: isTerminal,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    }),
  );
}
