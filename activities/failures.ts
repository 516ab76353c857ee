import { ApplicationFailure } from '@temporalio/common';
import { InputError } from '../src/errors';

/**
 * Run an activity body; bad input (unknown version, refused label) becomes a non-retryable
 * failure that keeps its message and error type, since retrying cannot fix it.
 */
export async function failFastOnBadInput<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof InputError) throw ApplicationFailure.nonRetryable(error.message, error.name);
    throw error;
  }
}
