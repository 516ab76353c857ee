import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptors } from '@temporalio/worker';
import { InputError } from '../src/errors';

/**
 * Every activity of the worker: bad input (an unknown version, a refused label, a NotFoundError)
 * becomes a non-retryable failure that keeps its message and error type, since retrying cannot fix
 * it. One interceptor, so no activity can forget it.
 */
export function failFastOnBadInput(): ActivityInterceptors {
  return {
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (error) {
          if (error instanceof InputError) throw ApplicationFailure.nonRetryable(error.message, error.name);
          throw error;
        }
      },
    },
  };
}
