import { DemaError } from '../errors.ts';

/** A whole number ≥ `min` from a command-line flag, or a usage error naming the flag. */
export function wholeNumber(flag: string, value: string, min = 1): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min)
    throw new DemaError('USAGE', `${flag} ${value}: expected a whole number ≥ ${min}.`, {
      hint: `e.g. ${flag} 20`,
    });
  return n;
}
