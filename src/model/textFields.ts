import { z } from 'zod';

/** A model id as providers name them ("gpt-4o-mini-2024-07-18", "azure/gpt-4o"): nothing else gets through. */
export const modelIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\w.:/@-]+$/, 'a model id is letters, digits and . _ - : / @');

/** Free text kept on one line (reasons, actors, keys): bounded, no control characters. */
export const oneLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !/[\u0000-\u001f]/.test(s), 'one line, no control characters');

/** A tenant id as tenants are named, so a hostile value never reaches a query. */
export const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'a tenant id is lowercase letters, digits, ".", "_" or "-" (max 63)');

/** A prompt (or dataset) name: lowercase letters, digits, "-" or "_", starting with a letter. */
export const identifierSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]{0,62}$/,
    'expected lowercase letters, digits, "-" or "_", starting with a letter (max 63 chars)',
  );
