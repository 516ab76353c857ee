// A pinned model id ends in a release date: gpt-4o-2024-08-06, claude-sonnet-4-5-20250929.
const DATED_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

/**
 * True when the id is an alias the provider may re-point at a new model without notice
 * (`…-latest`, or an undated family name such as `gpt-4o`). Production must not float.
 */
export function isModelAlias(model: string): boolean {
  return model.includes('latest') || !DATED_SUFFIX.test(model);
}
