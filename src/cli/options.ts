import { tenantIdSchema } from '../model/textFields';
import { InputError } from '../errors';

/** Parse a numeric CLI option that must be a whole number ≥ `min`, naming the option when it is not. */
export function wholeNumber(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new InputError(`${name} must be a whole number of at least ${min} (got "${text}")`);
  return n;
}

export const positiveInt = (name: string, text: string) => wholeNumber(name, text, 1);

/** A --tenant value as tenants are named, so a hostile value never reaches a query. */
export function tenantIdOption(text: string): string {
  const parsed = tenantIdSchema.safeParse(text);
  if (!parsed.success) throw new InputError(`--tenant: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}
