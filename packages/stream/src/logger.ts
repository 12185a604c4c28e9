import { createRequire } from 'node:module';
import type { Logger as PinoLogger } from 'pino';

/**
 * The logging surface the packages use: a subset of pino's, so a pino logger (or a child of one)
 * can be passed as is. Every line is structured: an object of fields, then a short message.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const ignore = (): void => {};

/** A logger that drops everything; the default. */
export const silentLogger: Logger = Object.freeze({
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
});

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

// pino and pino-pretty are loaded by the first createLogger, not on import: a program that only
// parses its flags or prints its help (`p2p --help`) does not pay for them.
const require = createRequire(import.meta.url);

/**
 * A pino logger on standard error, written synchronously so nothing is lost on exit: JSON lines,
 * or pino-pretty's readable lines (colours only on a terminal). `auto` (the default) picks
 * readable lines when standard error is a terminal.
 */
export function createLogger(
  level: LogLevel,
  name: string,
  format: LogFormat = 'auto',
): PinoLogger {
  const { pino } = require('pino') as typeof import('pino');
  const isTerminal = process.stderr.isTTY === true;
  if (resolveLogFormat(format, isTerminal) === 'json')
    return pino({ name, level }, pino.destination({ dest: 2, sync: true }));
  const { PinoPretty: pretty } = require('pino-pretty') as typeof import('pino-pretty');
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
