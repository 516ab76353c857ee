import { InputError } from '../errors';

/** Parse a numeric CLI option that must be a whole number ≥ 1, naming the option when it is not. */
export function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${name} must be a whole number of at least 1 (got "${text}")`);
  return n;
}
