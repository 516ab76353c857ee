import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { InputError, NotFoundError } from '../../../src/errors';
import { failFastOnBadInput } from '../../../workers/failFastOnBadInput';

const run = (error: Error) =>
  failFastOnBadInput().inbound!.execute!({ args: [], headers: {} } as ActivityExecuteInput, async () =>
    Promise.reject(error),
  );

describe('activities fail fast on bad input (one interceptor for all)', () => {
  it.each([new InputError('bad steps'), new NotFoundError('no version 9.9.9')])(
    '%s is non-retryable and keeps its type and message',
    async (error) => {
      const failure = await run(error).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ nonRetryable: true, type: error.name, message: error.message });
    },
  );

  it('anything else is left to the retry policy', async () => {
    const outage = new Error('connection refused');
    await expect(run(outage)).rejects.toBe(outage);
  });

  it('passes results through', async () => {
    const result = await failFastOnBadInput().inbound!.execute!(
      { args: [], headers: {} } as ActivityExecuteInput,
      async () => 42,
    );
    expect(result).toBe(42);
  });
});
