import { ApplicationFailure } from '@temporalio/workflow';

/**
 * A workflow's start input, checked: a bad one fails the workflow at once (not retried), with the
 * parser's message naming what was wrong, instead of failing its task over and over.
 */
export function parseStartInput<T>(parse: (raw: unknown) => T, raw: unknown): T {
  try {
    return parse(raw);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'InputError');
  }
}
