/** Ids of the built-in guardrails, as the request log stores them; readers of the log use these too. */
export const GUARDRAIL_IDS = {
  inputPii: 'input.pii',
  inputInjection: 'input.injection',
  outputJsonSchema: 'output.json_schema',
  outputRefusal: 'output.refusal',
} as const;
