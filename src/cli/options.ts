import { InputError } from '../errors';

/** Parse a numeric CLI option that must be a whole number ≥ `min`, naming the option when it is not. */
export function wholeNumber(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new InputError(`${name} must be a whole number of at least ${min} (got "${text}")`);
  return n;
}

export const positiveInt = (name: string, text: string) => wholeNumber(name, text, 1);
