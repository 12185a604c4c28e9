import { InvalidArgumentError } from 'commander';

export interface WholeNumberRange {
  /** Default 0. */
  min?: number;
  /** Default: no bound. */
  max?: number;
  /** What the number counts, for the message: 'milliseconds', 'bytes'… */
  unit?: string;
  /** Words accepted besides numbers, and the value each stands for: `{ never: Infinity }`. */
  words?: Readonly<Record<string, number>>;
  /** Said after the range when the value is refused: '86400000 is a day'. */
  hint?: string;
}

/**
 * A parser of a whole-number option (decimal digits only: no sign, exponent, hex or blank) within
 * `range`; it throws commander's `InvalidArgumentError`, which commander reports as bad usage
 * naming the flag or environment variable. The one parser of every integer option of `p2p`,
 * `p2p-root` and the benchmarks.
 */
export function wholeNumber(range: WholeNumberRange = {}): (text: string) => number {
  const { min = 0, max, unit, words = {}, hint } = range;
  const bounds = max === undefined ? `, at least ${min}` : ` from ${min} to ${max}`;
  const alternatives = Object.keys(words).map((word) => `, or '${word}'`);
  const expected = `expected a whole number${unit === undefined ? '' : ` of ${unit}`}${bounds}${
    hint === undefined ? '' : ` (${hint})`
  }${alternatives.join('')}`;
  return (text: string): number => {
    const word = Object.hasOwn(words, text) ? words[text] : undefined;
    if (word !== undefined) return word;
    const n = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max))
      throw new InvalidArgumentError(expected);
    return n;
  };
}

/** The longest delay a Node timer takes (about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;
