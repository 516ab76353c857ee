import type { Command } from 'commander';
import { loadEnv } from '../../config/env';
import { DEFAULT_JUDGE_MODEL } from '../../model/evalDefaults';
import { lazy } from '../../util/lazy';
import { withDatabase } from '../context';
import { emit } from '../output';

// Loaded on first use: the provider SDKs take a while to load.
const replays = lazy(() => require('../../incidents/replay') as typeof import('../../incidents/replay'));
const providerConfig = lazy(() => require('../../providers/config') as typeof import('../../providers/config'));
const providerDirectory = lazy(
  () => require('../../providers/directory') as typeof import('../../providers/directory'),
);
const judges = lazy(() => require('../../evals/judge') as typeof import('../../evals/judge'));

const scored = (score: number | undefined) => (score === undefined ? '' : ` (judge ${score.toFixed(2)})`);

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      'Reproduce a logged request from its stored tuple (model, rendered messages) and judge the old and new answers',
    )
    .argument('<request-id>', 'the request id (x-flightdeck-request-id, or an incident’s evidence)')
    .option('--against <version|model>', "another version of the request's prompt (its model), or another model")
    .option('--judge-model <model>', 'the judge', DEFAULT_JUDGE_MODEL)
    .option('--no-judge', 'only replay; do not judge the answers')
    .option('--json', 'machine-readable output')
    .action(
      async (requestId: string, opts: { against?: string; judgeModel: string; judge: boolean; json?: boolean }) => {
        const env = loadEnv();
        const providers = new (providerDirectory().ProviderDirectory)(providerConfig().loadProviderConfig(env), env);
        const result = await withDatabase((db) =>
          replays().replayRequest(db.pool, providers, requestId, {
            against: opts.against,
            judge: opts.judge ? new (judges().Judge)(db.pool, providers, opts.judgeModel) : undefined,
          }),
        );
        emit(opts.json, result, () =>
          [
            `${result.requestId} (${result.at}, tenant ${result.tenant ?? '-'}, prompt ${result.prompt ?? '-'}@${result.version ?? '-'}, trace ${result.traceId ?? '-'})`,
            '',
            `then, ${result.original.model}${scored(result.original.score)}${result.original.storedScore !== undefined ? `, sampled at ${result.original.storedScore.toFixed(2)}` : ''}:`,
            result.original.output,
            '',
            `now, ${result.replayed.model}${scored(result.replayed.score)}, ${result.replayed.latencyMs} ms:`,
            result.replayed.output,
            '',
            ...(result.reproduced === undefined
              ? []
              : [
                  result.reproduced
                    ? 'Reproduced: the bad answer comes back from the stored tuple.'
                    : 'Not reproduced: the replayed answer is not bad, or the original was not.',
                ]),
            ...result.caveats.map((c) => `note: ${c}`),
          ].join('\n'),
        );
      },
    );
}
