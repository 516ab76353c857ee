import { z } from 'zod';

const MAX_TEXT = 1_000_000;

const textPart = z.object({ type: z.literal('text'), text: z.string().max(MAX_TEXT) });

const chatMessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  /** A string, or OpenAI's array of text parts (other part types are not supported). */
  content: z.union([z.string().max(MAX_TEXT), z.array(textPart).max(256)]),
});

const variablesSchema = z.record(z.string().max(128), z.unknown());

/**
 * Flightdeck: the passages retrieved for this request (RAG), sent along for scoring only (they are
 * not added to the messages): the answer's faithfulness proxy is computed against them.
 */
const retrievedContextSchema = z.array(z.string().max(MAX_TEXT)).max(64);

/** The OpenAI Chat Completions body, as far as the gateway serves it; unknown fields are ignored. */
export const chatCompletionBodySchema = z.object({
  model: z
    .string()
    .regex(
      /^[A-Za-z0-9][\w.:/@+-]{0,255}$/,
      'expected a model id (letters, digits, ".", ":", "/", "@", "-", "_") or prompt:<name>',
    ),
  messages: z.array(chatMessageSchema).max(1024).default([]),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().max(1_000_000).nullish(),
  max_completion_tokens: z.number().int().positive().max(1_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  user: z.string().max(256).optional(),
  n: z.literal(1).nullish(),
  /** Flightdeck: the variables of `prompt:<name>`. */
  variables: variablesSchema.optional(),
  retrieved_context: retrievedContextSchema.optional(),
});
export type ChatCompletionBody = z.infer<typeof chatCompletionBodySchema>;

/** POST /v1/prompts/{name}/run */
export const promptRunBodySchema = z.strictObject({
  variables: variablesSchema.default({}),
  user: z.string().max(256).optional(),
  feature: z.string().max(63).optional(),
  max_tokens: z.number().int().positive().max(1_000_000).optional(),
  retrieved_context: retrievedContextSchema.optional(),
});

/** What a request id can look like (ours are req_<32 hex>); anything else is refused before a query. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const feedbackBodySchema = z.strictObject({
  request_id: z
    .string()
    .regex(REQUEST_ID_PATTERN, 'expected a request id such as req_0123… (x-flightdeck-request-id of the answer)'),
  /** -1 (bad) to 1 (good); negative counts as negative feedback. */
  score: z.number().min(-1).max(1),
  comment: z.string().max(4000).optional(),
});

/** POST /v1/guardrails/appeals: the caller says one guardrail wrongly blocked one of its requests. */
export const appealBodySchema = z.strictObject({
  request_id: z
    .string()
    .regex(REQUEST_ID_PATTERN, 'expected a request id such as req_0123… (x-flightdeck-request-id of the refusal)'),
  guardrail: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/,
      'expected a guardrail id such as input.injection (error.param of the refusal)',
    ),
  /** Why the block was wrong, for whoever tunes the guardrail. */
  reason: z
    .string()
    .min(1)
    .max(2000)
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'must be text without control characters'),
});

export const FEATURE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
