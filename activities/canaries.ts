import { Context } from '@temporalio/activity';
import OpenAI from 'openai';
import { attemptCanary, CANARY_TENANT, canaryTargets, type AttemptResult } from '../src/canaries/canaryAttempts';
import { analyzeCanaryRun, beginCanaryRun, storeAttempts, type CanaryAnalysis } from '../src/canaries/canaryRuns';
import { CANARY_RUBRIC } from '../src/canaries/canaryScoring';
import { loadCanarySuite } from '../src/canaries/canarySuite';
import type { Pool } from '../src/db/pool';
import { mapWithConcurrency } from '../src/evals/concurrency';
import { assertKnownJudgeModel, Judge } from '../src/evals/judge';
import { InputError } from '../src/errors';
import type { CanaryInput } from '../src/model/canary';
import type { IncidentInput } from '../src/model/incident';
import { raiseAlerts } from '../src/monitoring/alertStore';
import { notifyNewAlerts, type AlertWebhook } from '../src/monitoring/alertWebhook';
import type { ProviderDirectory } from '../src/providers/directory';
import { ensureSyntheticTenant, mintSyntheticKey } from '../src/tenants/syntheticTenant';

export interface CanaryPlan {
  suiteVersion: string;
  cases: number;
  targets: Array<{ prompt: string; variant: 'stable' | 'candidate'; version: string }>;
  /** Each case is tried this many times on each target. */
  repeat: number;
}

export function createCanaryActivities(
  pool: Pool,
  providers: ProviderDirectory,
  options: { gatewayUrls: readonly string[]; webhook?: AlertWebhook },
) {
  return {
    /** Load the suite (a broken one fails here, before anything is sent) and the targets; begin the run. */
    async planCanaryRun(input: CanaryInput & { workflowId: string }): Promise<CanaryPlan> {
      const suite = loadCanarySuite(input.suiteFile);
      assertKnownJudgeModel(input.judgeModel);
      if (!options.gatewayUrls.length)
        throw new InputError('The worker knows no gateway: set FLIGHTDECK_GATEWAY_URLS (comma-separated)');
      const targets = await canaryTargets(pool);
      await ensureSyntheticTenant(pool, CANARY_TENANT, 'canaries');
      await beginCanaryRun(pool, input.workflowId, suite.version);
      const perPass = Math.max(1, suite.cases.length * targets.length);
      return {
        suiteVersion: suite.version,
        cases: suite.cases.length,
        targets: targets.map((t) => ({ prompt: t.prompt, variant: t.variant, version: t.version })),
        repeat: targets.length ? Math.ceil(input.attempts / perPass) : 0,
      };
    },

    /** Every case once on one target (attempt number `attempt`), through the gateway; stored as it goes. */
    async runCanaryBatch(
      input: CanaryInput & { workflowId: string; prompt: string; variant: 'stable' | 'candidate'; attempt: number },
    ): Promise<{ attempts: number; succeeded: number }> {
      const suite = loadCanarySuite(input.suiteFile);
      const target = (await canaryTargets(pool)).find((t) => t.prompt === input.prompt && t.variant === input.variant);
      if (!target) return { attempts: 0, succeeded: 0 }; // the prompt or candidate went away mid-run
      const apiKey = await mintSyntheticKey(pool, CANARY_TENANT, 'canaries');
      const client = new OpenAI({ apiKey, baseURL: `${options.gatewayUrls[0]}/v1`, maxRetries: 1, timeout: 60_000 });
      const judge = new Judge(pool, providers, input.judgeModel);
      const context = Context.current();
      const results: AttemptResult[] = await mapWithConcurrency(suite.cases, input.concurrency, async (canary) => {
        context.heartbeat();
        return attemptCanary({ client, target, canary, attempt: input.attempt, judge });
      });
      await storeAttempts(pool, input.workflowId, results);
      return { attempts: results.length, succeeded: results.filter((r) => r.succeeded).length };
    },

    /**
     * The run's statistics (see analyzeCanaryRun), with the judge's precision measured on the
     * suite's labelled answers. A significant rise raises `canary-attack-rise` (a page); attacks that
     * came back are returned as security incidents to start.
     */
    async finishCanaryRun(
      input: CanaryInput & { workflowId: string },
    ): Promise<{ analysis: CanaryAnalysis; incidents: IncidentInput[] }> {
      const suite = loadCanarySuite(input.suiteFile);
      const judge = new Judge(pool, providers, input.judgeModel);
      const labels = await mapWithConcurrency(suite.judge_labels, input.concurrency, async (label) => {
        const canary = suite.cases.find((c) => c.id === label.case)!;
        const graded = await judge.grade({
          kind: 'rubric',
          rubric: CANARY_RUBRIC,
          question: canary.messages.at(-1)!.content,
          context: '',
          output: label.answer,
        });
        return { complied: label.complied, judged: graded.score < 0.5 };
      });
      const analysis = await analyzeCanaryRun(pool, input.workflowId, labels);
      if (analysis.rise.rose) {
        const { overall } = analysis.summary;
        const firing = {
          key: 'canary-attack-rise',
          ruleId: 'canary-attack-rise',
          severity: 'page' as const,
          summary: `Jailbreak success rose to ${(overall.rate * 100).toFixed(1)}% (${overall.successes} of ${overall.attempts}), ${(analysis.rise.rise * 100).toFixed(1)} points above the last ${analysis.rise.baselineRuns} runs (z ${analysis.rise.z.toFixed(2)}): \`flightdeck canaries report\``,
          numbers: { rate: overall.rate, rise: analysis.rise.rise, z: analysis.rise.z },
        };
        const [outcome] = await raiseAlerts(pool, [{ firing, cooldownMinutes: 60 }]);
        if (outcome === 'raised' && options.webhook) await notifyNewAlerts(options.webhook, [firing]);
      }
      const incidents: IncidentInput[] = analysis.reappeared.map((attack) => ({
        kind: 'security',
        key: `canary-${attack.prompt}`,
        finding: 'injection',
        prompt: attack.prompt,
        reason: `jailbreak canary ${input.workflowId}: "${attack.caseId}" was fixed in an earlier run and works again`,
        actor: 'canaries',
        requestIds: attack.requestIds.slice(0, 1000),
        // A canary's finding waits for a person before a production prompt is switched off.
        approval: ['kill', 'purge'],
      }));
      return { analysis, incidents };
    },
  };
}

export type CanaryActivities = ReturnType<typeof createCanaryActivities>;
