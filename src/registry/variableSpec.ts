import { z } from 'zod';

/** One declared template variable of a prompt file: its type, whether it is required, its bounds. */
const common = { description: z.string().optional(), required: z.boolean().default(true) };

export const variableSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('string'),
    ...common,
    default: z.string().optional(),
    min_length: z.number().int().nonnegative().optional(),
    max_length: z.number().int().positive().optional(),
  }),
  z.strictObject({
    type: z.literal('number'),
    ...common,
    default: z.number().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    integer: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('boolean'), ...common, default: z.boolean().optional() }),
  z.strictObject({
    type: z.literal('enum'),
    ...common,
    values: z.array(z.string()).min(1, 'an enum needs at least one value'),
    default: z.string().optional(),
  }),
]);
export type VariableSpec = z.infer<typeof variableSchema>;
