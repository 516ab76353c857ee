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
